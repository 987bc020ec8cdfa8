# Keeps the book offline: Asciidoctor's HTML converter hard-codes a CDN address for MathJax.
# This postprocessor points it at the copy the build unpacks into site/mathjax, and fails the
# render if any other external address is left in a tag that loads something.
require 'asciidoctor/extensions'

Asciidoctor::Extensions.register do
  postprocessor do
    process do |doc, output|
      output = output.gsub(%r{https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[0-9.]+/MathJax\.js}, 'mathjax/MathJax.js')
      output.scan(/<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="(https?:)?\/\/[^"]*"/) do
        raise "#{doc.attr 'docname'}: the page loads an external resource: #{Regexp.last_match(0)}"
      end
      output
    end
  end
end
