package dev.mailbatch.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The drain chart: well-formed, accessible SVG with every figure, on sane scales. */
class MakespanChartTest {
    private static final List<MakespanChart.Point> FULL_RUN = List.of(
            new MakespanChart.Point(160, 8.3, 10.6),
            new MakespanChart.Point(80, 15.3, 13.1),
            new MakespanChart.Point(320, 8.3, 11.4));

    /** A marker: its series, C, seconds, and centre. */
    private record Marker(String series, int c, double seconds, double x, double y) {}

    @Test
    void isWellFormedAccessibleSvg() throws Exception {
        Element svg = parse(MakespanChart.svg(5000, 200, FULL_RUN, "full run, commit 27375ab, 2026-11-26"));

        assertThat(svg.getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        assertThat(svg.getTagName()).isEqualTo("svg");
        assertThat(svg.getAttribute("role")).isEqualTo("img");
        assertThat(svg.getAttribute("viewBox")).isEqualTo("0 0 640 400");
        Element title = first(svg, "title");
        Element desc = first(svg, "desc");
        assertThat(svg.getAttribute("aria-labelledby"))
                .isEqualTo(title.getAttribute("id") + " " + desc.getAttribute("id"));
        assertThat(title.getTextContent()).isEqualTo(MakespanChart.TITLE);
        assertThat(desc.getTextContent())
                .contains("5,000 emails at L = 200 ms")
                .contains("mailbatch 15.3 s at C = 80, 8.3 s at C = 160, 8.3 s at C = 320")
                .contains("Celery + Redis 13.1 s at C = 80, 10.6 s at C = 160, 11.4 s at C = 320")
                .contains("full run, commit 27375ab, 2026-11-26");
        assertThat(texts(svg))
                .contains(
                        "mailbatch",
                        "Celery + Redis",
                        "makespan, s (lower is faster)",
                        "C, sends in flight (log scale)")
                .contains("80", "160", "320", "0", "15.3 s", "13.1 s", "8.3 s", "10.6 s", "11.4 s");
    }

    @Test
    void drawsEveryFigureOfBothSystems() throws Exception {
        List<Marker> markers = markers(parse(MakespanChart.svg(5000, 200, FULL_RUN, "a run")));

        assertThat(markers)
                .extracting(m -> m.series() + " " + m.c() + " " + m.seconds())
                .containsExactlyInAnyOrder(
                        "mailbatch 80 15.3",
                        "mailbatch 160 8.3",
                        "mailbatch 320 8.3",
                        "celery 80 13.1",
                        "celery 160 10.6",
                        "celery 320 11.4");
    }

    @Test
    void cIsOnALogScaleAndSecondsOnALinearOneFromZero() throws Exception {
        List<Marker> markers = markers(parse(MakespanChart.svg(5000, 200, FULL_RUN, "a run")));

        double pixelsPerSecond = (MakespanChart.BOTTOM - markers.getFirst().y())
                / markers.getFirst().seconds();
        for (Marker m : markers) {
            assertThat(m.x()).isBetween((double) MakespanChart.LEFT, (double) MakespanChart.RIGHT);
            assertThat(m.y()).isBetween((double) MakespanChart.TOP, (double) MakespanChart.BOTTOM);
            assertThat(MakespanChart.BOTTOM - m.y()).isCloseTo(m.seconds() * pixelsPerSecond, within(0.6));
        }
        double x80 = x(markers, 80);
        double x160 = x(markers, 160);
        double x320 = x(markers, 320);
        assertThat(x80).isLessThan(x160);
        assertThat(x320 - x160).isCloseTo(x160 - x80, within(0.2)); // each doubling the same width
        assertThat(pixelsPerSecond * 15.3).isLessThan(MakespanChart.BOTTOM - MakespanChart.TOP); // the top fits
        assertThat(pixelsPerSecond * 15.3).isGreaterThan((MakespanChart.BOTTOM - MakespanChart.TOP) * 0.6); // uses it
    }

    @Test
    void drawsTheQuickRunsSinglePointToo() throws Exception {
        String svg = MakespanChart.svg(
                200, 20, List.of(new MakespanChart.Point(8, 2.7, 1.0)), "quick run, commit x, 2026-12-02");

        List<Marker> markers = markers(parse(svg));

        assertThat(svg).doesNotContain("NaN", "Infinity");
        assertThat(markers).hasSize(2);
        assertThat(markers).allSatisfy(m -> {
            assertThat(m.x()).isCloseTo((MakespanChart.LEFT + MakespanChart.RIGHT) / 2.0, within(0.1));
            assertThat(m.y()).isBetween((double) MakespanChart.TOP, (double) MakespanChart.BOTTOM);
        });
    }

    @Test
    void stepsAreRound() {
        assertThat(MakespanChart.niceStep(15.3 / 4)).isEqualTo(5);
        assertThat(MakespanChart.niceStep(2.2)).isEqualTo(2.5);
        assertThat(MakespanChart.niceStep(1)).isEqualTo(1);
        assertThat(MakespanChart.niceStep(0.4)).isEqualTo(0.5);
        assertThat(MakespanChart.niceStep(60)).isEqualTo(100);
        assertThat(MakespanChart.niceStep(0)).isEqualTo(1);
    }

    private static Element parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Document doc =
                factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        return doc.getDocumentElement();
    }

    private static Element first(Element root, String tag) {
        return (Element) root.getElementsByTagName(tag).item(0);
    }

    private static List<String> texts(Element root) {
        List<String> texts = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName("text");
        for (int i = 0; i < nodes.getLength(); i++) {
            texts.add(nodes.item(i).getTextContent());
        }
        return texts;
    }

    private static List<Marker> markers(Element root) {
        List<Marker> markers = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName("*");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (!e.getAttribute("class").equals("point")) {
                continue;
            }
            String series = ((Element) e.getParentNode()).getAttribute("class").replace("series ", "");
            boolean circle = e.getTagName().equals("circle");
            double x = circle ? number(e, "cx") : number(e, "x") + number(e, "width") / 2;
            double y = circle ? number(e, "cy") : number(e, "y") + number(e, "height") / 2;
            assertThat(e.getElementsByTagName("title").getLength()).isEqualTo(1);
            markers.add(
                    new Marker(series, Integer.parseInt(e.getAttribute("data-c")), number(e, "data-seconds"), x, y));
        }
        return markers;
    }

    private static double x(List<Marker> markers, int c) {
        return markers.stream()
                .filter(m -> m.c() == c)
                .findFirst()
                .orElseThrow()
                .x();
    }

    private static double number(Element e, String attribute) {
        return Double.parseDouble(e.getAttribute(attribute));
    }
}
