package minibert.book;

import java.util.List;

/** Publishes the machine and JDK this build ran on, shown in the preface beside the rebuild instructions. */
public final class EnvironmentResults implements ResultProducer {

    @Override
    public String name() {
        return "environment";
    }

    @Override
    public void produce(Results results) {
        BuildInfo b = results.build();
        Runtime rt = Runtime.getRuntime();
        results.publish("build/environment")
                .attribute("commit", b.commit())
                .attribute("mode", b.mode().label())
                .attribute("jdk", b.jdk())
                .attribute("cpus", Integer.toString(b.cpus()))
                .attribute("heap-pages", heapPages())
                .table("The machine that computed this book",
                        List.of("Property", "Value"),
                        List.of(
                                List.of("source revision", b.commit()),
                                List.of("build mode", b.mode().label()),
                                List.of("JDK", b.jdk() + " (" + System.getProperty("java.vm.name") + ", "
                                        + System.getProperty("java.vendor") + ")"),
                                List.of("operating system", System.getProperty("os.name") + " "
                                        + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")"),
                                List.of("available processors", b.cpus()),
                                List.of("maximum heap", (rt.maxMemory() >> 20) + " MiB"),
                                List.of("heap pages", heapPages()),
                                List.of("Vector API preferred species (double)",
                                        jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length() + " lanes, "
                                                + jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.vectorBitSize() + " bits")));
    }

    /**
     * Whether this JVM asked for transparent huge pages ({@code -XX:+UseTransparentHugePages}, as {@code ./minibert} and
     * the build ask where Linux offers them), and what the kernel's setting is.
     */
    static String heapPages() {
        var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        boolean asked;
        try {
            asked = Boolean.parseBoolean(bean.getVMOption("UseTransparentHugePages").getValue());
        } catch (IllegalArgumentException e) {
            asked = false;                                              // not a Linux JVM: no such option
        }
        java.nio.file.Path setting = java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        String kernel;
        try {
            kernel = java.nio.file.Files.readString(setting).trim();
        } catch (java.io.IOException e) {
            kernel = "not offered";
        }
        return (asked ? "transparent huge pages requested" : "the system's default pages") + " (kernel: " + kernel + ")";
    }
}
