package minibert.book;

import org.jsoup.Jsoup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Opens every page of the rendered book from {@code file://} in headless Chromium (Debian's package,
 * driven by Selenium with explicit paths: nothing is downloaded) and checks what a reader sees: typeset
 * formulas, loaded images, no console error, no request leaving the site, working navigation, and prose
 * that fits a 375-pixel-wide phone. It saves a screenshot of each page under {@code target/screenshots/}
 * and prints the whole book to PDF.
 */
class BrowserIT {

    private static Path site;
    private static Path shots;
    private static ChromeDriver driver;
    private static Path profile;

    @BeforeAll
    static void start() throws IOException {
        BrowserSupport.Decision d = BrowserSupport.here();
        switch (d.verdict()) {
            case SKIP -> {
                System.out.println("[BrowserIT] " + d.message());
                Assumptions.abort(d.message());
            }
            case FAIL -> fail(d.message());
            case RUN -> System.out.println("[BrowserIT] " + d.message());
        }
        site = Path.of(System.getProperty("minibert.site.dir", "site")).toAbsolutePath();
        shots = Path.of(System.getProperty("minibert.screenshots.dir", "target/screenshots")).toAbsolutePath();
        Files.createDirectories(shots);
        profile = Files.createTempDirectory("minibert-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BrowserSupport.CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1280,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(BrowserSupport.CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60)).pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        if (profile != null) {
            try (var paths = Files.walk(profile)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<Path> pages() throws IOException {
        try (var files = Files.list(site)) {
            return files.filter(f -> f.toString().endsWith(".html")).sorted().toList();
        }
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Loads a page and waits until MathJax has finished typesetting it (if the page uses MathJax). */
    private static String open(Path page) {
        String state = "not loaded";
        // On a loaded machine a page has now and then come back without MathJax defined (seen on pages that
        // typeset fine in every other run): load it afresh, up to three times, before calling that a problem.
        for (int attempt = 0; attempt < 3 && !state.equals("typeset"); attempt++) {
            state = load(page);
            boolean usesMath = (Boolean) js("return document.querySelector('script[src*=\"MathJax\"]') !== null;");
            if (!usesMath) {
                break;
            }
        }
        return state;
    }

    private static String load(Path page) {
        driver.manage().logs().get(LogType.BROWSER);     // drop what earlier pages logged
        driver.get(page.toUri().toString());
        // a page that loads MathJax may reach its load event before MathJax has defined itself when the machine is
        // busy: wait up to 30 s for it, then for its typesetting queue
        Object state = ((JavascriptExecutor) driver).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                // A loaded machine can run this before MathJax's own script has defined MathJax.Hub: wait for it
                // (up to 30 s) on a page that loads MathJax, rather than report it missing.
                const wanted = document.querySelector('script[src*="MathJax"]') !== null;
                const started = Date.now();
                (function wait() {
                    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(() => done('typeset')); return; }
                    if (!wanted || Date.now() - started > 30000) { done('no-mathjax'); return; }
                    setTimeout(wait, 100);
                })();
                """);
        return String.valueOf(state);
    }

    @Test
    void everyPageLooksRightToAReader() throws IOException {
        List<String> problems = new ArrayList<>();
        long start = System.nanoTime();
        int pages = 0;
        for (Path page : pages()) {
            String name = page.getFileName().toString();
            pages++;
            driver.manage().window().setSize(new Dimension(1280, 1000));
            String mathState = open(page);
            boolean usesMath = (Boolean) js("return document.querySelector('script[src*=\"MathJax\"]') !== null;");
            if (usesMath && !mathState.equals("typeset")) {
                problems.add(name + ": MathJax did not finish (" + mathState + ")");
            }
            Long typeset = (Long) js("return document.querySelectorAll('.MathJax_CHTML, .MathJax, .MathJax_SVG, .MathJax_Display').length;");
            Long formulas = (Long) js("return document.querySelectorAll('script[type^=\"math/tex\"]').length;");
            if (usesMath && formulas > 0 && typeset == 0) {
                problems.add(name + ": " + formulas + " formulas but none typeset");
            }
            Long mathErrors = (Long) js("return document.querySelectorAll('.MathJax_Error, merror, .mjx-merror').length;");
            if (mathErrors > 0) {
                problems.add(name + ": " + mathErrors + " MathJax errors");
            }
            String raw = (String) js("""
                    const body = document.body.cloneNode(true);
                    body.querySelectorAll('pre, code, script, style, .MathJax_Preview').forEach(e => e.remove());
                    const t = body.textContent;
                    const m = t.match(/\\\\\\(|\\\\\\[|\\$\\$/);
                    return m ? t.substring(Math.max(0, m.index - 40), m.index + 40) : '';
                    """);
            if (!raw.isEmpty()) {
                problems.add(name + ": raw TeX left visible: …" + raw.strip() + "…");
            }
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    problems.add(name + ": console error: " + e.getMessage());
                }
            }
            @SuppressWarnings("unchecked")
            List<String> external = (List<String>) js("""
                    return performance.getEntriesByType('resource').map(r => r.name)
                        .filter(n => !n.startsWith('file:') && !n.startsWith('data:') && !n.startsWith('blob:'));
                    """);
            for (String url : external) {
                problems.add(name + ": a request left the site: " + url);
            }
            @SuppressWarnings("unchecked")
            List<String> broken = (List<String>) js("""
                    return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
                    """);
            for (String img : broken) {
                problems.add(name + ": image did not load: " + img);
            }
            checkNavigation(name, problems);
            Files.write(shots.resolve(name.replace(".html", ".png")), driver.getScreenshotAs(OutputType.BYTES));
            js("document.querySelectorAll('details').forEach(d => d.open = true);");   // the answers are read too
            checkLayout(name + " at 1280 px", problems);

            // A phone: the prose must not scroll sideways (code and wide tables scroll inside themselves).
            driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 375, "height", 800, "deviceScaleFactor", 1, "mobile", true));
            String overflow = (String) js("""
                    const root = document.scrollingElement;
                    if (root.scrollWidth <= root.clientWidth + 1) return '';
                    const limit = root.clientWidth + 1;
                    const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
                        const s = getComputedStyle(p); if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') return true; } return false; };
                    const wide = Array.from(document.querySelectorAll('body *'))
                        .filter(e => e.getBoundingClientRect().right > limit && !scrolls(e))
                        .slice(0, 3).map(e => e.tagName + '.' + e.className + ' "' + (e.textContent || '').trim().substring(0, 50) + '"');
                    return root.scrollWidth + ' > ' + root.clientWidth + ': ' + wide.join('; ');
                    """);
            if (!overflow.isEmpty()) {
                problems.add(name + ": at 375 px the page scrolls sideways: " + overflow);
            }
            checkLayout(name + " at 375 px", problems);
            driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("[BrowserIT] %d pages checked in %.1f s; screenshots in %s%n", pages, seconds, shots);
        assertTrue(pages >= 4, "fewer than 4 pages rendered");
        if (!problems.isEmpty()) {
            fail(problems.size() + " problems seen in the browser:\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * What narrow columns and long lines do to the text: a number or a shape in a table cell broken across two
     * lines ({@code 1.7e-} / {@code 10}, {@code [12,} / {@code 12]}), and a line of code wrapped to the left margin.
     * The numbers are those {@link Fragments#UNBREAKABLE} describes.
     */
    private static void checkLayout(String where, List<String> problems) {
        @SuppressWarnings("unchecked")
        List<String> split = (List<String>) js("""
                const re = new RegExp(arguments[0], 'g');
                const out = [];
                for (const cell of document.querySelectorAll('td, th')) {
                  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                  for (let node; (node = walker.nextNode()); ) {
                    const t = node.textContent;
                    re.lastIndex = 0;
                    for (let m; (m = re.exec(t)); ) {
                      if (m[0].length === 0) { re.lastIndex++; continue; }
                      const r = document.createRange();
                      r.setStart(node, m.index);
                      r.setEnd(node, m.index + m[0].length);
                      const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
                      const tops = rects.map(x => x.top);
                      if (rects.length > 1 && Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) out.push(m[0]);
                    }
                  }
                }
                return out.slice(0, 5);
                """, Fragments.UNBREAKABLE.pattern());
        if (!split.isEmpty()) {
            problems.add(where + ": numbers or shapes split across lines in table cells: " + split);
        }
        @SuppressWarnings("unchecked")
        List<String> wrapped = (List<String>) js("""
                const out = [];
                for (const pre of document.querySelectorAll('pre')) {
                  const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
                  const pos = [];
                  for (let node; (node = walker.nextNode()); ) {
                    for (let i = 0; i < node.textContent.length; i++) pos.push([node, i, node.textContent[i]]);
                  }
                  let start = 0;
                  while (start < pos.length) {
                    let end = start;
                    while (end < pos.length && pos[end][2] !== '\\n') end++;
                    let first = start;
                    while (first < end && pos[first][2] === ' ') first++;
                    if (first < end) {
                      const r = document.createRange();
                      r.setStart(pos[first][0], pos[first][1]);
                      r.setEnd(pos[end - 1][0], pos[end - 1][1] + 1);
                      const rects = Array.from(r.getClientRects()).filter(x => x.width > 0 && x.height > 0);
                      const tops = rects.map(x => x.top);
                      if (rects.length > 1 && Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) {
                        out.push(pos.slice(first, Math.min(end, first + 60)).map(p => p[2]).join(''));
                        break;
                      }
                    }
                    start = end + 1;
                  }
                  if (out.length >= 3) break;
                }
                return out;
                """);
        if (!wrapped.isEmpty()) {
            problems.add(where + ": code lines wrap instead of scrolling: " + wrapped);
        }
    }

    private static void checkNavigation(String name, List<String> problems) {
        @SuppressWarnings("unchecked")
        List<String> links = (List<String>) js("return Array.from(document.querySelectorAll('.chapter-nav a')).map(a => a.href);");
        for (String href : links) {
            URI uri = URI.create(href);
            Path target = Path.of(URI.create(uri.getScheme() + ":" + uri.getRawPath()));
            if (!Files.isRegularFile(target)) {
                problems.add(name + ": navigation leads to a missing page " + href);
                continue;
            }
            String fragment = uri.getRawFragment();
            if (fragment != null && !fragment.isEmpty()) {
                try {
                    if (Jsoup.parse(target.toFile(), "UTF-8").getElementById(URLDecoder.decode(fragment, StandardCharsets.UTF_8)) == null) {
                        problems.add(name + ": navigation leads to a missing anchor " + href);
                    }
                } catch (IOException e) {
                    problems.add(name + ": cannot read " + target + ": " + e.getMessage());
                }
            }
        }
        if (!name.equals("index.html") && !name.equals("book.html") && links.isEmpty()) {
            problems.add(name + ": no previous / contents / next navigation");
        }
    }

    /**
     * The attention explorer of "Looking inside the model", used as a reader uses it: its data loads from {@code file://},
     * choosing another head, a thumbnail or a sentence changes the figures, and nothing is logged as an error.
     */
    @Test
    void theAttentionExplorerAnswersTheReader() {
        driver.manage().window().setSize(new Dimension(1280, 1000));
        open(site.resolve("explore.html"));
        List<String> problems = new ArrayList<>();
        Long sentences = (Long) js("return window.minibertAttention ? window.minibertAttention.sentences.length : -1;");
        assertTrue(sentences != null && sentences >= 20, "the explorer's data did not load: " + sentences + " sentences");
        org.openqa.selenium.WebElement root = driver.findElement(org.openqa.selenium.By.id("attention-explorer"));
        String lines = (String) js("return document.querySelector('.ax-lines svg').outerHTML;");
        String heat = (String) js("return document.querySelector('.ax-heat svg').outerHTML;");
        Long thumbs = (Long) js("return document.querySelectorAll('.ax-thumb').length;");
        Long layers = (Long) js("return window.minibertAttention.layers;"), heads = (Long) js("return window.minibertAttention.heads;");
        if (thumbs != layers * heads) {
            problems.add(thumbs + " thumbnails for " + layers + " layers × " + heads + " heads");
        }

        new org.openqa.selenium.support.ui.Select(driver.findElement(org.openqa.selenium.By.id("ax-head"))).selectByValue("1");
        if (!"1".equals(root.getAttribute("data-head"))) {
            problems.add("choosing head 1 left the explorer on head " + root.getAttribute("data-head"));
        }
        String lines1 = (String) js("return document.querySelector('.ax-lines svg').outerHTML;");
        if (lines1.equals(lines) || js("return document.querySelector('.ax-heat svg').outerHTML;").equals(heat)) {
            problems.add("choosing head 1 did not change the figures");
        }

        String last = (layers - 1) + "";
        driver.findElement(org.openqa.selenium.By.cssSelector(".ax-thumb[data-layer='" + last + "'][data-head='0']")).click();
        if (!last.equals(root.getAttribute("data-layer")) || !"0".equals(root.getAttribute("data-head"))) {
            problems.add("the thumbnail of layer " + last + ", head 0 led to layer " + root.getAttribute("data-layer") + ", head "
                    + root.getAttribute("data-head"));
        }
        if (!(Boolean) js("return document.querySelector('.ax-thumb.ax-current').getAttribute('data-layer') === arguments[0];", last)) {
            problems.add("the current thumbnail is not outlined");
        }
        String lines2 = (String) js("return document.querySelector('.ax-lines svg').outerHTML;");

        Long pair = (Long) js("return window.minibertAttention.sentences.findIndex(s => s.types.indexOf(1) >= 0);");
        if (pair < 0) {
            problems.add("no sentence of the explorer is a pair");
        } else {
            new org.openqa.selenium.support.ui.Select(driver.findElement(org.openqa.selenium.By.id("ax-sentence"))).selectByValue(pair.toString());
            Long tokens = (Long) js("return document.querySelectorAll('.ax-lines svg text.ax-token').length;");
            Long expected = (Long) js("return 2 * window.minibertAttention.sentences[arguments[0]].tokens.length;", pair);
            if (!tokens.equals(expected) || js("return document.querySelector('.ax-lines svg').outerHTML;").equals(lines2)) {
                problems.add("choosing the pair " + pair + " drew " + tokens + " tokens, expected " + expected);
            }
            if (!(Boolean) js("return Array.from(document.querySelectorAll('.ax-lines svg text.ax-token')).some(t => t.textContent === '[SEP]');")) {
                problems.add("the pair shows no [SEP]");
            }
        }
        // hovering a query shows only its lines
        new org.openqa.selenium.interactions.Actions(driver)
                .moveToElement(driver.findElement(org.openqa.selenium.By.cssSelector(".ax-lines svg text.ax-token"))).perform();
        Long shown = (Long) js("return Array.from(document.querySelectorAll('.ax-lines svg line')).filter(l => l.style.display !== 'none').length;");
        Long all = (Long) js("return document.querySelectorAll('.ax-lines svg line').length;");
        if (!(shown < all)) {
            problems.add("hovering the first query left all " + all + " lines visible");
        }
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                problems.add("console error: " + e.getMessage());
            }
        }
        try {
            Files.write(shots.resolve("explore-explorer.png"), driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            problems.add("cannot save the screenshot: " + e.getMessage());
        }
        System.out.printf("[BrowserIT] the attention explorer: %d sentences, %d × %d heads, %d problems%n", sentences, layers, heads,
                problems.size());
        if (!problems.isEmpty()) {
            fail("the attention explorer:\n  " + String.join("\n  ", problems));
        }
    }

    @Test
    void theWholeBookPrintsToACleanPdf() throws IOException {
        open(site.resolve("book.html"));
        // DevTools' print, the command under WebDriver's: WebDriver's gives the renderer ten seconds, which the whole book
        // exceeds on a busy machine, and every build then waited those ten seconds before falling back to this one
        String content = (String) driver.executeCdpCommand("Page.printToPDF", Map.of("printBackground", false)).get("data");
        byte[] bytes = Base64.getDecoder().decode(content);
        Path out = shots.resolveSibling("book.pdf");
        Files.write(out, bytes);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("/Type\\s*/Page[^s]").matcher(text);
        int count = 0;
        while (m.find()) {
            count++;
        }
        long chapters = Jsoup.parse(site.resolve("book.html").toFile(), "UTF-8").select("#content > .sect1").size();
        System.out.printf("[BrowserIT] book.html printed to %d PDF pages (%d chapters): %s%n", count, chapters, out);
        assertTrue(chapters >= 3, "the whole-book page has fewer than 3 chapters");
        assertTrue(count >= chapters, "the printed book has " + count + " pages for " + chapters + " chapters");
        assertTrue(count <= 60 * chapters, "the printed book has an implausible " + count + " pages");
        Boolean chromeHidden = (Boolean) js("""
                const mq = window.matchMedia('print'); // the print stylesheet hides navigation and the TOC
                const sheet = Array.from(document.styleSheets).some(s => { try { return Array.from(s.cssRules)
                    .some(r => r.media && r.media.mediaText.includes('print') && r.cssText.includes('#toc')); } catch (e) { return false; } });
                return sheet;
                """);
        assertTrue(chromeHidden, "no print stylesheet hides the table of contents");
    }
}
