package dev.mailbatch.local;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The run command (infrastructure/bin/run): the local stack until Ctrl-C. */
public final class RunCommand {
    private RunCommand() {}

    /** {@code Name=Value} arguments as template parameter overrides; anything else is an IllegalArgumentException. */
    public static Map<String, String> parameterOverrides(String[] args) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("not Name=Value: " + arg);
            }
            overrides.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return overrides;
    }

    /** {@code java dev.mailbatch.local.RunCommand [Parameter=Value ...]}; see docs/local-run.md. */
    public static void main(String[] args) throws Exception {
        Map<String, String> overrides;
        try {
            overrides = parameterOverrides(args);
        } catch (IllegalArgumentException e) {
            System.err.println("usage: run [TemplateParameter=Value ...]   (e.g. WorkerMaxConcurrency=10)");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        LocalRunner runner;
        try {
            runner = LocalRunner.start(new LocalRunner.Options(root, overrides, System::getenv, System.out));
        } catch (IllegalStateException
                | IllegalArgumentException
                | software.amazon.awssdk.core.exception.SdkException e) {
            System.err.println("mailbatch local: " + e.getMessage()); // one line, never a stack trace
            System.exit(1);
            return;
        }
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nmailbatch local: stopping");
            runner.close();
            System.out.println(
                    "mailbatch local: stopped; port " + runner.baseUrl().getPort() + " is free");
            main.interrupt();
        }));
        try {
            Thread.currentThread().join();
        } catch (InterruptedException stopping) {
            // the shutdown hook closed everything
        }
    }
}
