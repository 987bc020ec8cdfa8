package minibert.book;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the real-browser check of the book can run here. Locally a missing Chromium skips the check with
 * a message saying how to enable it; under CI ({@code CI=true}) a missing Chromium is a failure, never a
 * silent skip.
 */
final class BrowserSupport {

    static final Path CHROMIUM = Path.of(System.getProperty("minibert.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("minibert.chromedriver", "/usr/bin/chromedriver"));

    enum Verdict { RUN, SKIP, FAIL }

    record Decision(Verdict verdict, String message) {
    }

    private BrowserSupport() {
    }

    /**
     * @param chromium    whether the browser executable exists
     * @param chromedriver whether the driver executable exists
     * @param ciVariable  the value of the {@code CI} environment variable, or {@code null}
     */
    static Decision decide(boolean chromium, boolean chromedriver, String ciVariable) {
        if (chromium && chromedriver) {
            return new Decision(Verdict.RUN, "Chromium at " + CHROMIUM + ", driver at " + CHROMEDRIVER);
        }
        String missing = (!chromium ? CHROMIUM + " " : "") + (!chromedriver ? CHROMEDRIVER : "");
        String howTo = "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
                + " or point -Dminibert.chromium / -Dminibert.chromedriver at them";
        boolean ci = ciVariable != null && !ciVariable.isBlank() && !ciVariable.equalsIgnoreCase("false") && !ciVariable.equals("0");
        if (ci) {
            return new Decision(Verdict.FAIL, "CI=" + ciVariable + " but the browser check cannot run: missing " + missing.strip() + "; " + howTo);
        }
        return new Decision(Verdict.SKIP, "browser check skipped: missing " + missing.strip() + "; to enable it, " + howTo);
    }

    static Decision here() {
        return decide(Files.isExecutable(CHROMIUM), Files.isExecutable(CHROMEDRIVER), System.getenv("CI"));
    }
}
