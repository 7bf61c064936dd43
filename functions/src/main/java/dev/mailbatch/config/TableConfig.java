package dev.mailbatch.config;

import java.util.function.Function;

/** The JobStatus and CancelJob functions' configuration: the table, nothing else. */
public record TableConfig(String tableName) {

    /** Reads TABLE_NAME through a lookup such as {@code System::getenv}. */
    public static TableConfig from(Function<String, String> env) {
        return new TableConfig(new Settings(env).required("TABLE_NAME"));
    }
}
