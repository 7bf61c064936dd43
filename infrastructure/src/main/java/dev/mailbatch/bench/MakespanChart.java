package dev.mailbatch.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The benchmark's chart (docs/images/bench-makespan.svg): drain makespan against C, the sends in
 * flight, for mailbatch and the Celery peer, drawn as plain SVG from the drains' figures. C runs
 * on a log₂ axis (the plan doubles it), seconds from 0; one line and one marker shape per system
 * (mailbatch solid with circles, Celery dashed with squares), each marker labelled with its
 * figure; a legend and a title; for screen readers {@code role="img"}, a {@code <title>} and a
 * {@code <desc>} that lists every figure.
 *
 * <p>{@link Report#main} redraws it from the drain rows of docs/benchmarks.md, for a drawing that
 * changed without a new run.
 */
final class MakespanChart {
    static final int WIDTH = 640;
    static final int HEIGHT = 400;
    /** The plot area: C from {@code LEFT} to {@code RIGHT}, seconds from 0 at {@code BOTTOM} up to {@code TOP}. */
    static final int LEFT = 72;

    static final int RIGHT = WIDTH - 32;
    static final int TOP = 92;
    static final int BOTTOM = HEIGHT - 64;
    static final String TITLE = "Drain makespan against sends in flight (C)";

    /** One concurrency's drain: mailbatch's makespan and Celery's, in seconds. */
    record Point(int c, double mailbatch, double peer) {}

    private record Series(String name, String css, String color, String dash, ToDoubleFunction<Point> seconds) {}

    private static final List<Series> SERIES = List.of(
            new Series("mailbatch", "mailbatch", "#1f5fbf", "none", Point::mailbatch),
            new Series("Celery + Redis", "celery", "#c8500a", "6 4", Point::peer));

    private final List<Point> points;
    private final double lo;
    private final double hi;
    private final double step;
    private final double top;
    private final StringBuilder svg = new StringBuilder();

    private MakespanChart(List<Point> points) {
        this.points = points.stream() // to the tenth, as the table shows them: the page redraws the same chart
                .map(p -> new Point(p.c(), tenths(p.mailbatch()), tenths(p.peer())))
                .sorted(Comparator.comparingInt(Point::c))
                .toList();
        this.lo = log2(this.points.getFirst().c()) - 0.5; // half a doubling either side
        this.hi = log2(this.points.getLast().c()) + 0.5;
        double max = this.points.stream()
                .mapToDouble(p -> Math.max(p.mailbatch(), p.peer()))
                .max()
                .orElse(0);
        this.step = niceStep(max / 4);
        this.top = Math.max(step, Math.ceil(max * 1.05 / step) * step);
    }

    /** The chart of a drain of {@code n} emails at {@code latencyMs}; {@code run} says which run it is. */
    static String svg(int n, int latencyMs, List<Point> points, String run) {
        return new MakespanChart(points).draw(n, latencyMs, run);
    }

    private String draw(int n, int latencyMs, String run) {
        String figures = SERIES.stream()
                .map(s -> s.name() + " "
                        + points.stream()
                                .map(p -> seconds(s.seconds().applyAsDouble(p)) + " s at C = " + p.c())
                                .collect(Collectors.joining(", ")))
                .collect(Collectors.joining("; "));
        svg.append(("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                        + " role=\"img\" aria-labelledby=\"bench-makespan-title bench-makespan-desc\""
                        + " font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n")
                .formatted(WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("  <title id=\"bench-makespan-title\">%s</title>\n".formatted(xml(TITLE)));
        svg.append("  <desc id=\"bench-makespan-desc\">%s</desc>\n"
                .formatted(xml(String.format(
                        Locale.ROOT,
                        "%s, %,d emails at L = %d ms: %s. Lower is faster. From the %s.",
                        TITLE,
                        n,
                        latencyMs,
                        figures,
                        run))));
        svg.append("  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        svg.append("  <g class=\"heading\">\n");
        text(LEFT, 28, "start", "font-size=\"17\" font-weight=\"bold\"", TITLE);
        text(
                LEFT,
                48,
                "start",
                "fill=\"#444444\"",
                String.format(Locale.ROOT, "N = %,d emails, L = %d ms a send; %s", n, latencyMs, run));
        svg.append("  </g>\n");
        axes();
        for (int i = 0; i < SERIES.size(); i++) {
            legend(i);
        }
        for (int i = 0; i < SERIES.size(); i++) {
            series(i);
        }
        return svg.append("</svg>\n").toString();
    }

    private double x(int c) {
        return LEFT + (log2(c) - lo) / (hi - lo) * (RIGHT - LEFT);
    }

    private double y(double seconds) {
        return BOTTOM - seconds / top * (BOTTOM - TOP);
    }

    /** Seconds: a grid line and a label each step; C: a tick and a label at each measured C. */
    private void axes() {
        svg.append("  <g class=\"axis seconds\">\n");
        for (int k = 0; k * step <= top + step / 1000; k++) {
            double at = y(k * step);
            line(LEFT, at, RIGHT, at, k == 0 ? "#333333" : "#e3e3e3");
            text(LEFT - 8, at + 4, "end", "class=\"tick\"", trim(k * step));
        }
        line(LEFT, TOP, LEFT, BOTTOM, "#333333");
        svg.append("    <text transform=\"translate(22 %s) rotate(-90)\" text-anchor=\"middle\">%s</text>\n"
                .formatted(num((TOP + BOTTOM) / 2.0), "makespan, s (lower is faster)"));
        svg.append("  </g>\n  <g class=\"axis c\">\n");
        for (Point p : points) {
            line(x(p.c()), BOTTOM, x(p.c()), BOTTOM + 5, "#333333");
            text(x(p.c()), BOTTOM + 20, "middle", "class=\"tick\"", Integer.toString(p.c()));
        }
        text((LEFT + RIGHT) / 2.0, HEIGHT - 20, "middle", "", "C, sends in flight (log scale)");
        svg.append("  </g>\n");
    }

    private void legend(int i) {
        Series s = SERIES.get(i);
        double at = LEFT + 160 * i;
        svg.append("  <g class=\"legend %s\">\n".formatted(s.css()));
        stroke(s, num(at) + ",70 " + num(at + 28) + ",70");
        marker(i, at + 14, 70, "");
        text(at + 36, 74, "start", "", s.name());
        svg.append("  </g>\n");
    }

    /** A series' line, and its markers with their figures: above the other system's at that C if higher, else below. */
    private void series(int i) {
        Series s = SERIES.get(i);
        Series other = SERIES.get(1 - i);
        svg.append("  <g class=\"series %s\">\n".formatted(s.css()));
        stroke(
                s,
                points.stream()
                        .map(p -> num(x(p.c())) + "," + num(y(s.seconds().applyAsDouble(p))))
                        .collect(Collectors.joining(" ")));
        for (Point p : points) {
            double value = s.seconds().applyAsDouble(p);
            double versus = other.seconds().applyAsDouble(p);
            boolean above = value > versus || (value == versus && i == 0);
            marker(
                    i,
                    x(p.c()),
                    y(value),
                    " class=\"point\" data-c=\"%d\" data-seconds=\"%s\"><title>%s</title"
                            .formatted(
                                    p.c(),
                                    seconds(value),
                                    xml("%s, C = %d: %s s".formatted(s.name(), p.c(), seconds(value)))));
            text(
                    x(p.c()),
                    above ? y(value) - 10 : y(value) + 19,
                    "middle",
                    "class=\"value\" fill=\"" + s.color() + "\"",
                    seconds(value) + " s");
        }
        svg.append("  </g>\n");
    }

    /** A circle for the first series, a square for the second; {@code inside} closes the start tag. */
    private void marker(int i, double cx, double cy, String inside) {
        String color = SERIES.get(i).color();
        if (i == 0) {
            svg.append("    <circle cx=\"%s\" cy=\"%s\" r=\"5\" fill=\"%s\"%s%s\n"
                    .formatted(num(cx), num(cy), color, inside, inside.isEmpty() ? "/>" : "></circle>"));
        } else {
            svg.append("    <rect x=\"%s\" y=\"%s\" width=\"9\" height=\"9\" fill=\"%s\"%s%s\n"
                    .formatted(num(cx - 4.5), num(cy - 4.5), color, inside, inside.isEmpty() ? "/>" : "></rect>"));
        }
    }

    private void stroke(Series s, String coordinates) {
        svg.append(
                "    <polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\" points=\"%s\"/>\n"
                        .formatted(s.color(), s.dash(), coordinates));
    }

    private void line(double x1, double y1, double x2, double y2, String color) {
        svg.append("    <line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>\n"
                .formatted(num(x1), num(y1), num(x2), num(y2), color));
    }

    private void text(double x, double y, String anchor, String attributes, String content) {
        svg.append("    <text x=\"%s\" y=\"%s\" text-anchor=\"%s\"%s>%s</text>\n"
                .formatted(num(x), num(y), anchor, attributes.isEmpty() ? "" : " " + attributes, xml(content)));
    }

    /** The smallest step of 1, 2, 2.5 or 5 × 10ᵏ that is at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5}) {
            if (m * power >= raw * (1 - 1e-9)) {
                return m * power;
            }
        }
        return 10 * power;
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String seconds(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static double tenths(double v) {
        return Double.parseDouble(seconds(v));
    }

    private static String trim(double v) {
        return BigDecimal.valueOf(v)
                .setScale(2, RoundingMode.HALF_UP)
                .stripTrailingZeros()
                .toPlainString();
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
