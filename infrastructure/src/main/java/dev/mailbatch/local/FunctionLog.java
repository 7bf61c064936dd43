package dev.mailbatch.local;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.local.lambda.LocalContext;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The functions' log of a local run: every line to its file, warnings and errors to the console too. */
final class FunctionLog implements LocalContext.LogSink, AutoCloseable {
    private final PrintStream file;
    private final PrintStream console;

    FunctionLog(Path path, PrintStream console) throws IOException {
        this.file = new PrintStream(Files.newOutputStream(path), true, "UTF-8");
        this.console = console;
    }

    @Override
    public void log(String function, LogLevel level, String message) {
        String line = LocalRunner.time() + " [" + function + "] " + level + " " + message;
        file.println(line);
        if (level == LogLevel.WARN || level == LogLevel.ERROR || level == LogLevel.FATAL) {
            console.println(line);
        }
    }

    @Override
    public void close() {
        file.close();
    }
}
