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
                                List.of("Vector API preferred species (double)",
                                        jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length() + " lanes, "
                                                + jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.vectorBitSize() + " bits")));
    }
}
