import Foundation
import XCTest
@testable import GANData

final class LinePlotTests: XCTestCase {
    let red: (UInt8, UInt8, UInt8) = (255, 0, 0)

    /// The colours of an RGB image in the inclusive rectangle, as (r, g, b) triples.
    func colors(_ image: (pixels: [UInt8], width: Int, height: Int),
                x: ClosedRange<Int>, y: ClosedRange<Int>) -> [(UInt8, UInt8, UInt8)] {
        var out: [(UInt8, UInt8, UInt8)] = []
        for row in y where row >= 0 && row < image.height {
            for column in x where column >= 0 && column < image.width {
                let i = 3 * (row * image.width + column)
                out.append((image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]))
            }
        }
        return out
    }

    func count(_ color: (UInt8, UInt8, UInt8), in pixels: [(UInt8, UInt8, UInt8)]) -> Int {
        pixels.filter { $0 == color }.count
    }

    func testImageSizeIsWidthByPanelsTimesPanelHeight() {
        let panel = PlotPanel(title: "loss", series: [PlotSeries(name: "D", x: [0, 1, 2], y: [1, 0.5, 0.2], color: red)])
        for (panels, width, panelHeight) in [([panel], 800, 260), ([panel, panel, panel], 640, 200), ([panel, panel], 333, 171)] {
            let image = LinePlot.render(panels: panels, width: width, panelHeight: panelHeight)
            XCTAssertEqual(image.width, width)
            XCTAssertEqual(image.height, panels.count * panelHeight)
            XCTAssertEqual(image.pixels.count, width * panels.count * panelHeight * 3)
        }
    }

    func testDiagonalLineRunsFromLowerLeftToUpperRight() {
        let panels = [PlotPanel(title: "diagonal",
                                series: [PlotSeries(name: "up", points: [(x: 0, y: 0), (x: 10, y: 10)], color: red)],
                                yRange: 0...10)]
        let image = LinePlot.render(panels: panels, width: 400, panelHeight: 300)
        let area = LinePlot.plotArea(panels: panels, index: 0, width: 400, panelHeight: 300)
        XCTAssertGreaterThan(area.right - area.left, 200)
        XCTAssertGreaterThan(area.bottom - area.top, 150)
        let lowerLeft = colors(image, x: area.left...(area.left + 6), y: (area.bottom - 6)...area.bottom)
        let upperRight = colors(image, x: (area.right - 6)...area.right, y: area.top...(area.top + 6))
        let upperLeft = colors(image, x: area.left...(area.left + 40), y: area.top...(area.top + 40))
        let lowerRight = colors(image, x: (area.right - 40)...area.right, y: (area.bottom - 40)...area.bottom)
        XCTAssertGreaterThan(count(red, in: lowerLeft), 0, "red expected near the lower left corner")
        XCTAssertGreaterThan(count(red, in: upperRight), 0, "red expected near the upper right corner")
        XCTAssertEqual(count(red, in: upperLeft), 0, "no red expected in the upper left corner")
        XCTAssertEqual(count(red, in: lowerRight), 0, "no red expected in the lower right corner")
        // The middle of the diagonal is red too, and the line is about 2 pixels thick there.
        let midX = (area.left + area.right) / 2, midY = (area.top + area.bottom) / 2
        let column = colors(image, x: midX...midX, y: (midY - 6)...(midY + 6))
        XCTAssertTrue((2...4).contains(count(red, in: column)), "a 2-pixel line expected, got \(count(red, in: column)) red pixels")
    }

    func testLegendSwatchColorAppears() {
        // The series has no drawable points, so its colour can only come from the legend.
        let teal: (UInt8, UInt8, UInt8) = (0, 201, 187)
        let panels = [PlotPanel(title: "t", series: [
            PlotSeries(name: "real", points: [(x: 0, y: 1), (x: 1, y: 2)], color: red),
            PlotSeries(name: "legend only", points: [(x: 0, y: .nan)], color: teal),
        ])]
        let image = LinePlot.render(panels: panels, width: 500, panelHeight: 200)
        let all = colors(image, x: 0...(image.width - 1), y: 0...(image.height - 1))
        XCTAssertGreaterThanOrEqual(count(teal, in: all), 16, "a legend swatch in the series colour expected")
        // The swatch is in the right half of the panel.
        let leftHalf = colors(image, x: 0...(image.width / 2), y: 0...(image.height - 1))
        XCTAssertEqual(count(teal, in: leftHalf), 0)
    }

    func testTextDrawsDarkPixelsForLettersAndNoneForSpace() {
        func darkPixels(_ text: String, scale: Int = 1) -> Int {
            var canvas = PlotCanvas(width: 40, height: 30)
            canvas.drawText(text, x: 3, y: 3, color: (0, 0, 0), scale: scale)
            return stride(from: 0, to: canvas.pixels.count, by: 3).filter { canvas.pixels[$0] < 128 }.count
        }
        XCTAssertGreaterThan(darkPixels("A"), 8)
        XCTAssertEqual(darkPixels(" "), 0)
        XCTAssertEqual(darkPixels("A", scale: 2), 4 * darkPixels("A"))
        // Lower case reads differently from upper case; unknown characters draw a box.
        XCTAssertGreaterThan(darkPixels("e"), 0)
        XCTAssertNotEqual(darkPixels("e"), darkPixels("E"))
        XCTAssertGreaterThan(darkPixels("\u{2603}"), 0)
        for character in "0123456789.,-+():/_=%e" {
            XCTAssertGreaterThan(darkPixels(String(character)), 0, "glyph for \(character)")
            XCTAssertNotEqual(BitmapFont.glyph(character).rows, BitmapFont.box.rows, "own glyph for \(character)")
        }
        // Text stays within its measured width and 7 rows (9 with descenders).
        var canvas = PlotCanvas(width: 80, height: 20)
        canvas.drawText("Ag1y", x: 0, y: 0, color: (0, 0, 0))
        let width = PlotCanvas.textWidth("Ag1y")
        for y in 0..<20 {
            for x in 0..<80 where canvas.pixel(x: x, y: y) != (255, 255, 255) {
                XCTAssertTrue(x < width && y < 9, "dark pixel at (\(x), \(y)) outside \(width)×9")
            }
        }
    }

    func testEdgeCasesDoNotCrash() {
        let nan = Double.nan, inf = Double.infinity
        let panels = [
            PlotPanel(title: "empty", series: []),
            PlotPanel(title: "nan only", series: [PlotSeries(name: "nan", x: [0, 1, 2], y: [nan, nan, nan], color: red)]),
            PlotPanel(title: "no points", series: [PlotSeries(name: "none", points: [], color: red)]),
            PlotPanel(title: "one point", series: [PlotSeries(name: "one", points: [(x: 5, y: 3)], color: red)]),
            PlotPanel(title: "flat", series: [PlotSeries(name: "flat", x: [0, 1, 2], y: [2, 2, 2], color: red)]),
            PlotPanel(title: "inf", series: [PlotSeries(name: "inf", x: [0, 1, 2, inf, 4], y: [1, -inf, inf, 2, 1e308], color: red)]),
            PlotPanel(title: "huge", series: [PlotSeries(name: "h", x: [-1e308, 1e308], y: [-1e308, 1e308], color: red)]),
            PlotPanel(title: "tiny", series: [PlotSeries(name: "t", x: [0, 1], y: [.leastNonzeroMagnitude, .leastNonzeroMagnitude], color: red)]),
            PlotPanel(title: "clipped", series: [PlotSeries(name: "c", x: [0, 1, 2], y: [-1e300, 1e300, 0], color: red)],
                      yRange: 0...1),
            PlotPanel(title: "bad range", series: [PlotSeries(name: "b", x: [0, 1], y: [0, 1], color: red)], yRange: 3...3),
            PlotPanel(title: "nan range", series: [], yRange: -inf...inf),
        ]
        let image = LinePlot.render(panels: panels, width: 300, panelHeight: 120)
        XCTAssertEqual(image.height, panels.count * 120)
        // One x value only (zero-width x range), tiny images, no panels at all.
        let single = [PlotPanel(title: "x", series: [PlotSeries(name: "s", x: [7, 7], y: [1, 2], color: red)])]
        XCTAssertEqual(LinePlot.render(panels: single).height, 260)
        for (w, h) in [(1, 1), (10, 10), (60, 40)] {
            XCTAssertEqual(LinePlot.render(panels: panels, width: w, panelHeight: h).pixels.count, w * h * panels.count * 3)
        }
        XCTAssertEqual(LinePlot.render(panels: []).height, 260)
        // The one finite point of a series is still drawn, as a dot.
        let dot = [PlotPanel(title: "", series: [PlotSeries(name: "", points: [(x: 1, y: 1)], color: red)])]
        let dotImage = LinePlot.render(panels: dot, width: 300, panelHeight: 200)
        let area = LinePlot.plotArea(panels: dot, index: 0, width: 300, panelHeight: 200)
        XCTAssertGreaterThan(count(red, in: colors(dotImage, x: area.left...area.right, y: area.top...area.bottom)), 0)
    }

    func testNaNBreaksTheLine() {
        // y = 1 at x = 0...10 with a NaN at x = 5: no red between x = 4 and x = 6.
        let ys: [Double] = (0...10).map { $0 == 5 ? .nan : 1 }
        let panels = [PlotPanel(title: "", series: [PlotSeries(name: "", x: (0...10).map(Double.init), y: ys, color: red)],
                                yRange: 0...2)]
        let image = LinePlot.render(panels: panels, width: 420, panelHeight: 200)
        let area = LinePlot.plotArea(panels: panels, index: 0, width: 420, panelHeight: 200)
        let x = { (v: Double) in area.left + Int(v / 10 * Double(area.right - area.left)) }
        let inside = colors(image, x: x(1)...x(3.9), y: area.top...area.bottom)
        let gap = colors(image, x: (x(4) + 3)...(x(6) - 3), y: area.top...area.bottom)
        XCTAssertGreaterThan(count(red, in: inside), 0)
        XCTAssertEqual(count(red, in: gap), 0)
    }

    func testTicksAndLabels() {
        let ticks = LinePlot.niceTicks(lower: 0, upper: 10_000)
        XCTAssertEqual(ticks.ticks, [0, 2000, 4000, 6000, 8000, 10_000])
        for t in ticks.ticks {
            let mantissa = t / pow(10, Double(ticks.exponent))
            XCTAssertEqual(mantissa, mantissa.rounded(), "tick \(t) is not a multiple of 10^\(ticks.exponent)")
        }
        XCTAssertTrue((4...6).contains(ticks.ticks.count))
        XCTAssertEqual(LinePlot.Axis(range: (0, 10_000)).labels, ["0", "2k", "4k", "6k", "8k", "10k"])
        XCTAssertEqual(LinePlot.Axis(range: (0, 2999)).labels, ["0", "500", "1k", "1.5k", "2k", "2.5k"])
        XCTAssertEqual(LinePlot.Axis(range: (0, 2)).labels, ["0", "0.5", "1", "1.5", "2"])
        XCTAssertEqual(LinePlot.Axis(range: (0, 5000)).labels, ["0", "1k", "2k", "3k", "4k", "5k"])
        XCTAssertEqual(LinePlot.Axis(range: (1000, 3000)).labels, ["1k", "1.5k", "2k", "2.5k", "3k"])
        XCTAssertEqual(LinePlot.Axis(range: (0, 0.004)).labels, ["0", "1e-3", "2e-3", "3e-3", "4e-3"])
        XCTAssertEqual(LinePlot.Axis(range: (-1, 1)).labels, ["-1", "-0.5", "0", "0.5", "1"])
        XCTAssertEqual(LinePlot.tickLabel(1.5e-4, stepExponent: -5, largest: 2e-4), "1.5e-4")
        XCTAssertEqual(LinePlot.tickLabel(3e6, stepExponent: 6, largest: 4e6), "3M")
    }

    func testWrittenPNGDecodesToTheSameSize() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = DataFiles.join(dir, "curves.png")
        let panels = samplePanels(steps: 200)
        try LinePlot.writePNG(panels: panels, path: path, width: 640, panelHeight: 220)
        let image = try PNG.read(path)
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 440)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, LinePlot.render(panels: panels, width: 640, panelHeight: 220).pixels)
    }

    /// Writes the sample plot to /tmp/lineplot-sample.png, to look at.
    func testWritesSamplePlot() throws {
        try LinePlot.writePNG(panels: samplePanels(steps: 3000), path: "/tmp/lineplot-sample.png")
        XCTAssertEqual(try PNG.read("/tmp/lineplot-sample.png").height, 520)
    }

    /// Losses and D outputs of a pretend run, from sines and cosines, with a NaN gap in one loss.
    func samplePanels(steps: Int) -> [PlotPanel] {
        let xs = (0..<steps).map { Double($0) }
        let t = xs.map { $0 / Double(steps) * 12 }
        let dLoss = t.enumerated().map { i, v in i > steps / 2 && i < steps / 2 + steps / 40 ? .nan : 1.2 + 0.25 * sin(v) + 0.05 * sin(7 * v) }
        let gLoss = t.map { 0.8 + 0.4 * cos(0.7 * $0) + 0.05 * cos(11 * $0) }
        let dReal = t.map { 0.5 + 0.3 * exp(-$0 / 4) * cos($0) }
        let dFake = t.map { 0.5 - 0.3 * exp(-$0 / 4) * cos($0) }
        return [
            PlotPanel(title: "Losses", series: [
                PlotSeries(name: "D loss", x: xs, y: dLoss, color: LinePlot.palette[0]),
                PlotSeries(name: "G loss", x: xs, y: gLoss, color: LinePlot.palette[1]),
            ]),
            PlotPanel(title: "D outputs", series: [
                PlotSeries(name: "D(x) real", x: xs, y: dReal, color: LinePlot.palette[2]),
                PlotSeries(name: "D(G(z)) fake", x: xs, y: dFake, color: LinePlot.palette[3]),
            ], yRange: 0...1),
        ]
    }
}
