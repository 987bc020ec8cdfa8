package minibert.tensor;

/**
 * The two-part split of ln 2 that the kernels' exponential needs (Cody and Waite's argument reduction), per
 * precision: ln 2 = HI + LO, HI the nearest number of the precision to ln 2, LO the rest, so that k·HI is
 * subtracted with one rounding and k·LO corrects it. The split depends on the precision's mantissa, which is
 * why it lives here, precision-neutral, rather than as literals in the double source that the float32 twin
 * would merely round ({@code LN2_HI} and {@code LN2_LO} are renamed to the {@code _F} pair by the twin's rules). So
 * does the degree of the Taylor polynomial that follows the reduction ({@code TAYLOR_ORDER}, renamed likewise).
 */
public final class ExpConstants {

    private ExpConstants() {
    }

    /** The double nearest ln 2. */
    public static final double LN2_HI = 0.6931471805599453;
    /** ln 2 − LN2_HI. */
    public static final double LN2_LO = 2.3190468138462996e-17;
    /** The float nearest ln 2, 0x3F317218. */
    public static final float LN2_HI_F = 0.6931472f;
    /** ln 2 − LN2_HI_F. */
    public static final float LN2_LO_F = -1.9046542999577820e-09f;

    /**
     * The order (degree) of e^r's Taylor polynomial on |r| ≤ ln2/2 in double: the first whose next term, r^(n+1)/(n+1)!, is
     * below half a unit in the last place of 1 (2⁻⁵³), with room: (ln2/2)¹⁴/14! < 10⁻¹⁷.
     */
    public static final int TAYLOR_ORDER = 13;
    /** The same for float (2⁻²⁴): (ln2/2)⁸/8! < 10⁻⁸. */
    public static final int TAYLOR_ORDER_F = 7;
}
