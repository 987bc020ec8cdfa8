package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Structural checks of the rendered book in {@code site/}, run by Failsafe after Asciidoctor: every
 * chapter is reachable from the contents, the navigation agrees with the contents' order, nothing
 * unresolved or external is left, every link, anchor and image resolves, and every result block carries
 * its provenance and was published by this build.
 */
class SiteIT {

    private static final Pattern EXTERNAL = Pattern.compile("^(https?:)?//", Pattern.CASE_INSENSITIVE);
    private static final Pattern CSS_URL = Pattern.compile("(?:url\\(\\s*['\"]?|@import\\s+['\"])((?:https?:)?//[^'\")\\s]+)");

    private static Path site;
    private static final Map<String, Document> pages = new LinkedHashMap<>();
    private static JsonNode index;

    @BeforeAll
    static void load() throws IOException {
        site = Path.of(System.getProperty("minibert.site.dir", "site")).toAbsolutePath();
        assertTrue(Files.isDirectory(site), "no rendered site at " + site + ": run mvn verify");
        try (var files = Files.list(site)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".html")).sorted().toList()) {
                pages.put(p.getFileName().toString(), Jsoup.parse(p.toFile(), "UTF-8"));
            }
        }
        assertTrue(pages.containsKey("index.html"), "site has no index.html");
        assertTrue(pages.containsKey("book.html"), "site has no book.html (the whole book)");
        Path indexJson = Path.of(System.getProperty("minibert.results.dir", "target/results")).resolve("index.json");
        index = new ObjectMapper().readTree(indexJson.toFile());
    }

    /** The chapter pages in the order the contents list them. */
    private static List<String> contentsOrder() {
        List<String> order = new ArrayList<>();
        for (Element a : pages.get("index.html").select("#content ol a[href]")) {
            String href = a.attr("href");
            if (!href.contains("#") || href.endsWith("#")) {
                String file = href.replaceFirst("#.*$", "");
                if (!order.contains(file)) {
                    order.add(file);
                }
            }
        }
        return order;
    }

    @Test
    void everyPageIsLinkedFromTheContents() {
        Set<String> linked = new HashSet<>(contentsOrder());
        for (Element a : pages.get("index.html").select("a[href]")) {
            linked.add(a.attr("href").replaceFirst("#.*$", ""));
        }
        for (String page : pages.keySet()) {
            if (!page.equals("index.html")) {
                assertTrue(linked.contains(page), page + " is not linked from index.html");
            }
        }
        assertTrue(contentsOrder().size() >= 4, "the contents list has fewer than 4 chapters: " + contentsOrder());
    }

    @Test
    void previousAndNextFollowTheContents() {
        List<String> order = contentsOrder();
        for (int i = 0; i < order.size(); i++) {
            String page = order.get(i);
            Document doc = pages.get(page);
            assertTrue(doc != null, "the contents link to " + page + ", which was not rendered");
            var nav = doc.select(".chapter-nav");
            assertEquals(2, nav.size(), page + ": expected navigation at the top and the bottom");
            for (Element block : nav) {
                List<String> targets = block.select("a[href]").eachAttr("href").stream()
                        .map(h -> h.replaceFirst("#.*$", "")).toList();
                List<String> expected = new ArrayList<>();
                if (i > 0) {
                    expected.add(order.get(i - 1));
                }
                expected.add("index.html");
                if (i + 1 < order.size()) {
                    expected.add(order.get(i + 1));
                }
                assertEquals(expected, targets, page + ": previous / contents / next links disagree with the contents order");
            }
        }
    }

    @Test
    void nothingIsLeftUnresolved() {
        // Literal AsciiDoc shown on purpose in code (`+include::...+`) is fine; anywhere else it is a leftover.
        Pattern unresolved = Pattern.compile("include::|image::|ifdef::|endif::|\\{result-[a-z0-9-]+}|\\{sourcedir}|\\{results}");
        for (var e : pages.entrySet()) {
            assertFalse(e.getValue().body().text().contains("Unresolved directive"), e.getKey() + ": an unresolved directive");
            // The book never highlights on purpose: a <mark> means "##" (WordPiece's prefix) was read as markup.
            assertTrue(e.getValue().select("mark").isEmpty(), e.getKey() + ": text read as #highlight# markup: " + e.getValue().select("mark").outerHtml());
            Element body = e.getValue().body().clone();
            body.select("code, pre").remove();
            String text = body.text();
            Matcher m = unresolved.matcher(text);
            if (m.find()) {
                int from = Math.max(0, m.start() - 60);
                fail(e.getKey() + ": unresolved AsciiDoc left in the page: …" + text.substring(from, Math.min(text.length(), m.end() + 60)) + "…");
            }
        }
    }

    /**
     * AsciiDoc that reached the reader as text: a caption's {@code 2^-24^} shown with its carets, a leftover
     * passthrough, attribute reference, anchor, cross reference or macro. Code is left out: it may show markup on
     * purpose.
     */
    @Test
    void noAsciiDocMarkupLeaksIntoTheText() {
        Pattern leak = Pattern.compile(String.join("|",
                "pass:[a-z,]*\\[",                                   // a passthrough macro
                "\\+\\+\\+",                                         // an inline passthrough
                "\\^[^\\s^]{1,20}\\^",                                // superscript markup, 2^-24^
                "~[^\\s~]{1,20}~",                                     // subscript markup, c~t~
                "\\{[a-z][a-z0-9_-]*}",                                 // an attribute reference
                "\\[\\[[\\w-]+(?:,[^\\]]*)?]]",                          // an anchor
                "<<[^<>\\s][^<>]*>>",                                   // a cross reference
                "\\b(?:link|xref|image|include|kbd|btn|footnote|stem|latexmath|indexterm):[^\\s\\[]*\\[",  // a macro
                "(?<![`\\w])`[^`\\s][^`]*`(?![`\\w])"));                     // monospace markup
        for (var e : pages.entrySet()) {
            Element body = e.getValue().body().clone();
            body.select("code, pre, script, style, .stemblock").remove();
            String text = body.text().replaceAll("\\\\\\((?s:.*?)\\\\\\)", " ");    // inline math is TeX for MathJax
            Matcher m = leak.matcher(text);
            if (m.find()) {
                int from = Math.max(0, m.start() - 60);
                fail(e.getKey() + ": AsciiDoc markup shown as text: …" + text.substring(from, Math.min(text.length(), m.end() + 60)) + "…");
            }
        }
    }

    /**
     * A character the page's fonts cannot show must be shown with its code point (U+XXXX) beside it, or the
     * reader sees an empty box. The fonts: DejaVu Sans, which every font stack of the page names, read from this
     * machine when it has it; otherwise the blocks {@link Glyphs} takes DejaVu to cover.
     */
    @Test
    void everyCharacterCanBeShownOrIsNamedByItsCodePoint() throws Exception {
        java.util.function.IntPredicate shown = Glyphs::shown;
        Path dejaVu = Path.of("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        if (Files.isRegularFile(dejaVu)) {
            java.awt.Font font = java.awt.Font.createFont(java.awt.Font.TRUETYPE_FONT, dejaVu.toFile());
            shown = cp -> Character.isWhitespace(cp) || Character.getType(cp) == Character.FORMAT || font.canDisplay(cp);
        }
        for (var e : pages.entrySet()) {
            Element body = e.getValue().body().clone();
            body.select("script, style").remove();
            String text = body.wholeText();
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                if (!shown.test(cp)) {
                    String name = String.format(java.util.Locale.ROOT, "U+%04X", cp);
                    String after = text.substring(i, Math.min(text.length(), i + 300));
                    assertTrue(after.contains(name), e.getKey() + ": the character " + name + " has no glyph in the page's fonts and is not "
                            + "named by its code point: …" + text.substring(Math.max(0, i - 40), Math.min(text.length(), i + 40)) + "…");
                }
                i += Character.charCount(cp);
            }
        }
    }

    /**
     * A promise of a chapter still to be written is marked {@code [.promise]#"Title"#} and names the chapter
     * without a link. Once a chapter of that title is in the contents, the promise must become a link: the check
     * fails, naming it.
     */
    @Test
    void promisesNameChaptersThatDoNotExistYet() {
        Map<String, String> titles = new LinkedHashMap<>();
        for (String page : contentsOrder()) {
            Document doc = pages.get(page);
            if (doc != null && doc.selectFirst("h1") != null) {
                titles.put(doc.selectFirst("h1").text().replaceFirst("^Appendix: ", ""), page);
            }
        }
        for (var e : pages.entrySet()) {
            for (Element promise : e.getValue().select(".promise")) {
                String title = promise.text().replaceAll("^[\"“]|[\"”]$", "");
                assertFalse(titles.containsKey(title), e.getKey() + ": the promised chapter \"" + title + "\" exists now ("
                        + titles.get(title) + "): make the promise a link to it");
                assertTrue(promise.select("a").isEmpty(), e.getKey() + ": a promise links somewhere: " + promise.outerHtml());
            }
        }
    }

    @Test
    void nothingIsLoadedFromOutsideTheSite() {
        for (var e : pages.entrySet()) {
            Document doc = e.getValue();
            for (Element el : doc.select("script[src], img[src], iframe[src], source[src], embed[src], object[data], link[href]")) {
                String url = el.hasAttr("src") ? el.attr("src") : el.hasAttr("data") ? el.attr("data") : el.attr("href");
                assertFalse(EXTERNAL.matcher(url).find(), e.getKey() + ": loads an external resource: " + el.outerHtml());
            }
            for (Element style : doc.select("style")) {
                String css = style.data().replaceAll("(?s)/\\*.*?\\*/", "");
                Matcher m = CSS_URL.matcher(css);
                assertFalse(m.find(), e.getKey() + ": a stylesheet loads an external resource: " + (m.hitEnd() ? "" : m.group(1)));
            }
        }
    }

    @Test
    void everyLocalResourceExists() {
        for (var e : pages.entrySet()) {
            for (Element el : e.getValue().select("script[src], img[src], link[href][rel=stylesheet]")) {
                String url = el.hasAttr("src") ? el.attr("src") : el.attr("href");
                if (url.startsWith("data:")) {
                    continue;
                }
                Path file = site.resolve(decode(url.replaceFirst("[?#].*$", "")));
                assertTrue(Files.isRegularFile(file), e.getKey() + ": " + el.tagName() + " refers to a missing file " + url);
                if (el.tagName().equals("img")) {
                    assertTrue(sizeOf(file) > 0, e.getKey() + ": image " + url + " is empty");
                }
            }
        }
    }

    @Test
    void everyInternalLinkAndAnchorResolves() {
        for (var e : pages.entrySet()) {
            for (Element a : e.getValue().select("a[href]")) {
                String href = a.attr("href");
                if (EXTERNAL.matcher(href).find() || href.startsWith("mailto:")) {
                    continue;
                }
                String file = href.replaceFirst("#.*$", "");
                String fragment = href.contains("#") ? href.substring(href.indexOf('#') + 1) : "";
                String targetPage = file.isEmpty() ? e.getKey() : decode(file);
                Document target = pages.get(targetPage);
                if (target == null) {
                    assertTrue(Files.exists(site.resolve(targetPage)), e.getKey() + ": link to a missing file " + href);
                    continue;
                }
                if (!fragment.isEmpty()) {
                    assertTrue(target.getElementById(decode(fragment)) != null,
                            e.getKey() + ": link " + href + " points to an anchor that " + targetPage + " does not have");
                }
            }
        }
    }

    @Test
    void everyResultCarriesItsProvenanceAndWasPublishedByThisBuild() {
        Set<String> published = new HashSet<>();
        for (JsonNode r : index.get("results")) {
            published.add(r.get("anchor").asText());
        }
        String commit = index.get("commit").asText();
        int blocks = 0;
        for (var e : pages.entrySet()) {
            for (Element block : e.getValue().select(".result")) {
                blocks++;
                String id = block.id();
                assertTrue(id.startsWith("result-"), e.getKey() + ": a result block without a result anchor: " + block.outerHtml().lines().findFirst().orElse(""));
                assertTrue(published.contains(id), e.getKey() + ": result " + id + " is not in this build's index.json");
                Element provenance = block.selectFirst(".provenance");
                assertTrue(provenance != null, e.getKey() + ": result " + id + " shows no provenance");
                String line = provenance.text();
                assertTrue(line.startsWith("result "), e.getKey() + ": provenance of " + id + " is malformed: " + line);
                assertTrue(line.contains("commit " + commit), e.getKey() + ": provenance of " + id + " names another revision than this build's (" + commit + "): " + line);
                assertTrue(line.contains(" · JDK ") && line.contains(" CPU"), e.getKey() + ": provenance of " + id + " lacks the JDK or CPU count: " + line);
            }
        }
        assertTrue(blocks > 0, "no result blocks found in the site");
        assertTrue(index.get("failures").isEmpty(), "the results index records failures: " + index.get("failures"));
    }

    /** The attention explorer's data lies beside its page, as JSON and as the script the page loads, under a megabyte. */
    @Test
    void theAttentionExplorersDataIsBesideItsPage() throws IOException {
        Document page = pages.get("explore.html");
        assertTrue(page != null, "no explore.html");
        assertFalse(page.select(".attention-explorer").isEmpty(), "explore.html has no attention explorer");
        assertFalse(page.select("script[src=explorer/attention.js]").isEmpty(), "explore.html does not load explorer/attention.js");
        for (String f : List.of("explorer/attention.js", "explorer/attention.json", "explorer/explorer.js")) {
            assertTrue(Files.isRegularFile(site.resolve(f)), f + " is not in the site");
        }
        long bytes = Files.size(site.resolve("explorer/attention.js"));
        assertTrue(bytes < 1_000_000, "explorer/attention.js has " + bytes + " bytes, more than a megabyte");
        JsonNode data = new ObjectMapper().readTree(Files.readString(site.resolve("explorer/attention.json")));
        assertTrue(data.get("sentences").size() >= 20, "the explorer has " + data.get("sentences").size() + " sentences");
        assertEquals(data.get("layers").asInt(), data.get("sentences").get(0).get("attention").size());
    }

    @Test
    void mathIsTypesetFromTheSiteItself() {
        Path mathJax = site.resolve("mathjax/MathJax.js");
        assertTrue(Files.isRegularFile(mathJax), "MathJax is not copied into the site");
        for (var e : pages.entrySet()) {
            for (Element s : e.getValue().select("script[src*=MathJax]")) {
                assertTrue(s.attr("src").startsWith("mathjax/MathJax.js"), e.getKey() + ": MathJax is not the site's copy: " + s.attr("src"));
                String config = s.attr("src").replaceFirst("^.*config=", "").replaceFirst("[&#].*$", "");
                assertTrue(Files.isRegularFile(site.resolve("mathjax/config/" + config + ".js")),
                        e.getKey() + ": MathJax configuration " + config + " is not in the site");
            }
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException ex) {
            return -1;
        }
    }
}
