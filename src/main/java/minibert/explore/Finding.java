package minibert.explore;

/**
 * What a rule of the diagnosis found in a run's log, with the measurement that triggered it.
 *
 * @param subject     what it is about: a parameter group ({@code layer.0}) or the run ({@code loss})
 * @param verdict     one or two words: {@code vanishing}, {@code exploding}, {@code diverges}, …
 * @param rule        the rule that was applied, in words
 * @param measurement the numbers that met the rule
 * @param suggestion  what a reader might try, or empty
 */
public record Finding(String subject, String verdict, String rule, String measurement, String suggestion) {

    /** One line for a terminal or a table. */
    public String line() {
        return subject + ": " + verdict + ". " + measurement + " (rule: " + rule + ")"
                + (suggestion.isEmpty() ? "" : ". Try: " + suggestion);
    }
}
