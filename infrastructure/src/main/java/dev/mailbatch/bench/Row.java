package dev.mailbatch.bench;

/**
 * One row of the benchmark's table: what was measured, each system's figure (empty where a system
 * was not measured), and mailbatch's time ÷ Celery's.
 */
record Row(String what, String mailbatch, String peer, String original, String ratio) {
    /** A row that only mailbatch has a figure for. */
    static Row mailbatchOnly(String what, String figure) {
        return new Row(what, figure, "", "", "");
    }
}
