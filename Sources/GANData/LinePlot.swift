import GANTensor
import Foundation

// Line plots of training curves (losses, discriminator outputs over steps) rendered to RGB
// pixels with no font library: a small canvas with clipped lines, rectangles and a built-in
// 5×7 bitmap font, and a layout of stacked panels with grid, ticks, title and legend.

/// One curve of a ``PlotPanel``: points joined in the order given, in one colour.
///
/// A point whose x or y is not finite (NaN, ±∞) breaks the curve: the segments to and from it
/// are not drawn. A finite point with no finite neighbour is drawn as a small dot.
public struct PlotSeries {
    /// The name shown in the panel's legend.
    public var name: String
    /// The points, joined in this order.
    public var points: [(x: Double, y: Double)]
    /// The line and legend swatch colour (red, green, blue).
    public var color: (UInt8, UInt8, UInt8)

    /// A series of explicit points.
    public init(name: String, points: [(x: Double, y: Double)], color: (UInt8, UInt8, UInt8)) {
        self.name = name
        self.points = points
        self.color = color
    }

    /// A series from parallel x and y arrays; the longer one is cut to the shorter's length.
    public init(name: String, x: [Double], y: [Double], color: (UInt8, UInt8, UInt8)) {
        self.init(name: name, points: zip(x, y).map { (x: $0, y: $1) }, color: color)
    }
}

/// One panel of a plot: a title, curves, and the y range shown.
public struct PlotPanel {
    /// The text at the panel's top left.
    public var title: String
    /// The curves, drawn in this order (later ones on top) and listed in this order in the legend.
    public var series: [PlotSeries]
    /// The y values shown. `nil`: from the smallest to the largest finite y of the panel's
    /// series, widened by 5% of that span on each side. A range of zero width is widened around
    /// its value; values outside the range are clipped at the plot's edge.
    public var yRange: ClosedRange<Double>?

    public init(title: String, series: [PlotSeries], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.series = series
        self.yRange = yRange
    }
}

/// Renders line plots of training curves to RGB pixels or a PNG file.
///
/// Panels are stacked vertically, each `width` × `panelHeight` pixels on a white background:
/// the title at the top left, the legend (colour swatch and name per series) at the top right,
/// and below them the plot area with a light-grey grid at about five "nice" y and x values
/// (1, 2 or 5 × 10^k), a black axis box, and compact tick labels (`0`, `0.5`, `2.5k`, `1e-3`).
/// All panels share one x range: that of every finite x in every panel (the steps of a run), so
/// curves of different panels line up. Curves are 2 pixels thick.
///
/// ```swift
/// let losses = PlotPanel(title: "losses", series: [
///     PlotSeries(name: "D", points: dLoss, color: LinePlot.palette[0]),
///     PlotSeries(name: "G", points: gLoss, color: LinePlot.palette[1]),
/// ])
/// try LinePlot.writePNG(panels: [losses], path: "run/curves.png")
/// ```
public enum LinePlot {
    /// Eight colours that are told apart easily on white: blue, orange, green, red, purple,
    /// teal, magenta, grey.
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (31, 100, 200), (235, 120, 0), (30, 150, 60), (205, 30, 40),
        (130, 70, 180), (0, 155, 165), (215, 70, 160), (110, 110, 110),
    ]

    /// Renders `panels` stacked vertically, each `width` × `panelHeight`, to RGB pixels.
    ///
    /// - Returns: interleaved [height][width][3] bytes with `height = panels.count · panelHeight`
    ///   (one empty panel when `panels` is empty), ready for
    ///   ``PNG/encode(pixels:width:height:channels:)`` with 3 channels.
    /// - Precondition: `width` and `panelHeight` are positive. Panels too small for a plot area
    ///   get only what fits.
    public static func render(
        panels: [PlotPanel], width: Int = 800, panelHeight: Int = 260, xLabel: String = "step"
    ) -> (pixels: [UInt8], width: Int, height: Int) {
        require(width > 0 && panelHeight > 0,
                     "LinePlot.render: positive width and panelHeight expected, got \(width) and \(panelHeight)")
        let list = panels.isEmpty ? [PlotPanel(title: "", series: [])] : panels
        var canvas = PlotCanvas(width: width, height: list.count * panelHeight)
        let xAxis = Axis(range: xRange(of: list))
        for (index, panel) in list.enumerated() {
            drawPanel(panel, top: index * panelHeight, height: panelHeight, xAxis: xAxis,
                      xLabel: xLabel, separator: index > 0, into: &canvas)
        }
        return (canvas.pixels, canvas.width, canvas.height)
    }

    /// Renders `panels` (see ``render(panels:width:panelHeight:xLabel:)``) and writes them to
    /// `path` as an RGB PNG file, atomically.
    public static func writePNG(
        panels: [PlotPanel], path: String, width: Int = 800, panelHeight: Int = 260, xLabel: String = "step"
    ) throws {
        let image = render(panels: panels, width: width, panelHeight: panelHeight, xLabel: xLabel)
        try PNG.write(pixels: image.pixels, width: image.width, height: image.height, channels: 3, to: path)
    }

    // MARK: Layout

    static let black: (UInt8, UInt8, UInt8) = (0, 0, 0)
    static let textColor: (UInt8, UInt8, UInt8) = (30, 30, 30)
    static let labelColor: (UInt8, UInt8, UInt8) = (70, 70, 70)
    static let gridColor: (UInt8, UInt8, UInt8) = (222, 222, 222)
    static let separatorColor: (UInt8, UInt8, UInt8) = (190, 190, 190)

    /// Title text scale, tick label scale, legend text scale.
    static let titleScale = 2, tickScale = 1, legendScale = 2
    /// Space above the title, and from the top of the panel to the plot area.
    static let headerPad = 6, plotTopOffset = 30
    /// From the plot area's bottom to the panel's bottom: tick marks, tick labels, x label.
    static let plotBottomOffset = 30
    /// Length of the tick marks outside the axis box.
    static let tickLength = 4

    /// The plot area of panel `index` of a render with these arguments, as inclusive pixel
    /// bounds of the axis box: data at the lower end of the x and y ranges lands on `left` and
    /// `bottom`, at the upper ends on `right` and `top`.
    static func plotArea(
        panels: [PlotPanel], index: Int, width: Int = 800, panelHeight: Int = 260
    ) -> (left: Int, top: Int, right: Int, bottom: Int) {
        let list = panels.isEmpty ? [PlotPanel(title: "", series: [])] : panels
        let xAxis = Axis(range: xRange(of: list))
        let yAxis = Axis(range: yRange(of: list[index]))
        return plotArea(top: index * panelHeight, width: width, height: panelHeight, xAxis: xAxis, yAxis: yAxis)
    }

    static func plotArea(
        top: Int, width: Int, height: Int, xAxis: Axis, yAxis: Axis
    ) -> (left: Int, top: Int, right: Int, bottom: Int) {
        let labelWidth = yAxis.labels.map { PlotCanvas.textWidth($0, scale: tickScale) }.max() ?? 0
        let left = 6 + labelWidth + tickLength + 4
        // Room for half of the last x label past the right edge.
        let lastHalf = (xAxis.labels.last.map { PlotCanvas.textWidth($0, scale: tickScale) } ?? 0) / 2
        let right = width - 1 - max(14, lastHalf + 6)
        return (left, top + plotTopOffset, right, top + height - 1 - plotBottomOffset)
    }

    static func drawPanel(
        _ panel: PlotPanel, top: Int, height: Int, xAxis: Axis, xLabel: String, separator: Bool,
        into canvas: inout PlotCanvas
    ) {
        let width = canvas.width
        let panelClip = (minX: 0, minY: top, maxX: width - 1, maxY: top + height - 1)
        canvas.clip = panelClip
        if separator { canvas.fillRect(x: 0, y: top, width: width, height: 1, color: separatorColor) }

        let yAxis = Axis(range: yRange(of: panel))
        let area = plotArea(top: top, width: width, height: height, xAxis: xAxis, yAxis: yAxis)
        let hasArea = area.right - area.left >= 8 && area.bottom - area.top >= 8

        if hasArea {
            let pxWidth = Double(area.right - area.left), pxHeight = Double(area.bottom - area.top)
            func px(_ x: Double) -> Double { Double(area.left) + (x - xAxis.lower) / (xAxis.upper - xAxis.lower) * pxWidth }
            func py(_ y: Double) -> Double { Double(area.bottom) - (y - yAxis.lower) / (yAxis.upper - yAxis.lower) * pxHeight }

            // Grid, inside the box.
            for tick in xAxis.ticks {
                let x = Int(px(tick).rounded())
                canvas.fillRect(x: x, y: area.top, width: 1, height: area.bottom - area.top + 1, color: gridColor)
            }
            for tick in yAxis.ticks {
                let y = Int(py(tick).rounded())
                canvas.fillRect(x: area.left, y: y, width: area.right - area.left + 1, height: 1, color: gridColor)
            }

            // Curves, clipped to the box.
            canvas.clip = (area.left, area.top, area.right, area.bottom)
            for series in panel.series {
                let points = series.points
                func finite(_ i: Int) -> Bool { i >= 0 && i < points.count && points[i].x.isFinite && points[i].y.isFinite }
                for i in points.indices where finite(i) {
                    let x = px(points[i].x), y = py(points[i].y)
                    if finite(i + 1) {
                        canvas.drawLine(x0: x, y0: y, x1: px(points[i + 1].x), y1: py(points[i + 1].y),
                                        color: series.color, thickness: 2)
                    } else if !finite(i - 1) {
                        canvas.fillRect(x: clampToInt(x) - 1, y: clampToInt(y) - 1, width: 4, height: 4, color: series.color)
                    }
                }
            }
            canvas.clip = panelClip

            // Axis box, tick marks and tick labels.
            canvas.strokeRect(left: area.left, top: area.top, right: area.right, bottom: area.bottom, color: black)
            let glyphHeight = PlotCanvas.glyphHeight * tickScale
            for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
                let x = Int(px(tick).rounded())
                canvas.fillRect(x: x, y: area.bottom + 1, width: 1, height: tickLength, color: black)
                let labelWidth = PlotCanvas.textWidth(label, scale: tickScale)
                let labelX = min(max(x - labelWidth / 2, 0), width - labelWidth)
                canvas.drawText(label, x: labelX, y: area.bottom + tickLength + 4, color: labelColor, scale: tickScale)
            }
            for (tick, label) in zip(yAxis.ticks, yAxis.labels) {
                let y = Int(py(tick).rounded())
                canvas.fillRect(x: area.left - tickLength, y: y, width: tickLength, height: 1, color: black)
                let labelWidth = PlotCanvas.textWidth(label, scale: tickScale)
                canvas.drawText(label, x: area.left - tickLength - 3 - labelWidth, y: y - glyphHeight / 2,
                                color: labelColor, scale: tickScale)
            }
            if !xLabel.isEmpty {
                let labelWidth = PlotCanvas.textWidth(xLabel, scale: tickScale)
                canvas.drawText(xLabel, x: (area.left + area.right - labelWidth) / 2,
                                y: area.bottom + tickLength + 4 + glyphHeight + 5, color: labelColor, scale: tickScale)
            }
        }

        // Title at the top left.
        let titleX = 8, titleY = top + headerPad
        canvas.drawText(panel.title, x: titleX, y: titleY, color: textColor, scale: titleScale)
        let titleEnd = titleX + PlotCanvas.textWidth(panel.title, scale: titleScale)

        // Legend at the top right: one row in the header when it fits beside the title (in
        // large, else small text), else a boxed column of small text in the plot area's top
        // right corner.
        guard !panel.series.isEmpty else { return }
        let rightEdge = hasArea ? area.right : width - 9
        func entryWidths(_ scale: Int) -> [Int] {
            panel.series.map { 9 * scale + PlotCanvas.textWidth($0.name, scale: scale) }
        }
        for scale in [legendScale, 1] {
            let widths = entryWidths(scale)
            let rowWidth = widths.reduce(0, +) + 8 * scale * (widths.count - 1)
            guard rightEdge - rowWidth >= titleEnd + 16 || (!hasArea && scale == 1) else { continue }
            // Small text sits on the large title's baseline.
            let y = titleY + PlotCanvas.glyphHeight * (titleScale - scale)
            var x = rightEdge - rowWidth
            for (series, entryWidth) in zip(panel.series, widths) {
                drawLegendEntry(series, x: x, y: y, scale: scale, into: &canvas)
                x += entryWidth + 8 * scale
            }
            return
        }
        let lineHeight = PlotCanvas.glyphHeight + 4
        let boxWidth = (entryWidths(1).max() ?? 0) + 10
        let boxHeight = lineHeight * panel.series.count + 6
        let boxLeft = area.right - 4 - boxWidth, boxTop = area.top + 4
        canvas.fillRect(x: boxLeft, y: boxTop, width: boxWidth, height: boxHeight, color: (255, 255, 255))
        canvas.strokeRect(left: boxLeft, top: boxTop, right: boxLeft + boxWidth - 1, bottom: boxTop + boxHeight - 1,
                          color: separatorColor)
        for (row, series) in panel.series.enumerated() {
            drawLegendEntry(series, x: boxLeft + 5, y: boxTop + 5 + row * lineHeight, scale: 1, into: &canvas)
        }
    }

    /// A legend entry with its text's top left at (x + 9 · scale, y): a square swatch of the
    /// series colour, then the name.
    static func drawLegendEntry(_ series: PlotSeries, x: Int, y: Int, scale: Int, into canvas: inout PlotCanvas) {
        let swatch = 5 * scale
        canvas.fillRect(x: x, y: y + scale, width: swatch, height: swatch, color: series.color)
        canvas.drawText(series.name, x: x + 9 * scale, y: y, color: textColor, scale: scale)
    }

    // MARK: Ranges and ticks

    /// The largest magnitude used for ranges: finite values beyond it are clamped, so that spans
    /// and tick steps stay finite.
    static let rangeLimit = 1e300

    /// The x range of every finite x in every panel, widened when of zero width; 0...1 when there
    /// is none.
    static func xRange(of panels: [PlotPanel]) -> (Double, Double) {
        var lower = Double.infinity, upper = -Double.infinity
        for panel in panels {
            for series in panel.series {
                for point in series.points where point.x.isFinite {
                    lower = min(lower, point.x)
                    upper = max(upper, point.x)
                }
            }
        }
        guard lower <= upper else { return (0, 1) }
        return sanitized(lower, upper)
    }

    /// The panel's y range: its `yRange` when that has finite bounds, else from the finite y
    /// values with a 5% margin on each side; 0...1 when there is nothing to go by.
    static func yRange(of panel: PlotPanel) -> (Double, Double) {
        if let range = panel.yRange, range.lowerBound.isFinite, range.upperBound.isFinite {
            return sanitized(range.lowerBound, range.upperBound)
        }
        var lower = Double.infinity, upper = -Double.infinity
        for series in panel.series {
            for point in series.points where point.y.isFinite {
                lower = min(lower, point.y)
                upper = max(upper, point.y)
            }
        }
        guard lower <= upper else { return (0, 1) }
        let (l, u) = sanitized(lower, upper)
        if l == lower && u == upper {
            let margin = (upper - lower) * 0.05
            return (max(lower - margin, -rangeLimit), min(upper + margin, rangeLimit))
        }
        return (l, u)   // widened from zero width: no margin needed
    }

    /// `lower...upper` clamped to ±``rangeLimit`` and, when narrower than a millionth of its
    /// magnitude (or empty), widened around its middle by 10% of that magnitude (±1 around 0).
    static func sanitized(_ lower: Double, _ upper: Double) -> (Double, Double) {
        let lo = min(max(lower, -rangeLimit), rangeLimit), hi = min(max(upper, -rangeLimit), rangeLimit)
        let magnitude = max(abs(lo), abs(hi))
        if hi - lo > magnitude * 1e-6 && hi > lo { return (lo, hi) }
        let middle = lo / 2 + hi / 2
        let half = magnitude > 1e-290 ? magnitude * 0.1 : 1
        return (middle - half, middle + half)
    }

    /// An axis: its range, about five ticks at round values inside it, and their labels.
    struct Axis {
        var lower: Double, upper: Double
        var ticks: [Double]
        var labels: [String]

        init(range: (Double, Double)) {
            (lower, upper) = range
            let nice = LinePlot.niceTicks(lower: lower, upper: upper)
            ticks = nice.ticks
            let largest = ticks.map(abs).max() ?? 0
            labels = ticks.map { LinePlot.tickLabel($0, stepExponent: nice.exponent, largest: largest) }
        }
    }

    /// The multiples of a step m · 10^e (m ∈ {1, 2, 5}) within `lower...upper`, choosing the
    /// step whose count of ticks is nearest to `target` (the larger step on ties).
    static func niceTicks(lower: Double, upper: Double, target: Int = 5) -> (ticks: [Double], exponent: Int) {
        let span = upper - lower
        guard span > 0, span.isFinite else { return ([], 0) }
        let base = Int(floor(log10(span / Double(max(target - 1, 1)))))
        var best: (score: Int, step: Double, exponent: Int, first: Double, count: Int)?
        for exponent in (base - 1)...(base + 1) {
            for mantissa in [1.0, 2.0, 5.0] {
                let step = mantissa * pow(10, Double(exponent))
                guard step > 0, step.isFinite else { continue }
                let first = (lower / step - 1e-9).rounded(.up)
                let last = (upper / step + 1e-9).rounded(.down)
                let countValue = last - first + 1
                guard countValue.isFinite, countValue >= 1, countValue <= 100 else { continue }
                let count = Int(countValue)
                let score = abs(count - target)
                if best == nil || score < best!.score || (score == best!.score && step > best!.step) {
                    best = (score, step, exponent, first, count)
                }
            }
        }
        guard let best else { return ([], 0) }
        let slack: Double = best.step * 1e-6
        var ticks: [Double] = []
        for k in 0..<best.count {
            let tick: Double = (best.first + Double(k)) * best.step
            if tick >= lower - slack && tick <= upper + slack { ticks.append(tick) }
        }
        return (ticks, best.exponent)
    }

    /// A compact label for tick `value` of an axis whose step is m · 10^`stepExponent` and whose
    /// largest tick magnitude is `largest`: `0`, `0.5`, `500`, `2.5k`, `1.2M`, `3G`, `1e-3`,
    /// `1.5e-4`. Axes with ticks of 10^12 and more, or with all ticks below 0.01 and steps of
    /// 0.001 or less, use powers of ten; others a suffix chosen by each value's magnitude.
    static func tickLabel(_ value: Double, stepExponent: Int, largest: Double) -> String {
        let step = pow(10, Double(stepExponent))
        if abs(value) < step * 1e-6 { return "0" }
        if largest >= 1e12 || (largest < 1e-2 && stepExponent <= -3) {
            return scientific(value, stepExponent: stepExponent)
        }
        let magnitude = abs(value) * (1 + 1e-9)
        let (exponent, suffix) = magnitude >= 1e9 ? (9, "G") : magnitude >= 1e6 ? (6, "M") : magnitude >= 1e3 ? (3, "k") : (0, "")
        let decimals = min(max(exponent - stepExponent, 0), 12)
        return trimmed(String(format: "%.\(decimals)f", value / pow(10, Double(exponent)))) + suffix
    }

    /// `value` as mantissa and power of ten, `1.5e-4`, with the mantissa's digits down to 10^`stepExponent`.
    static func scientific(_ value: Double, stepExponent: Int) -> String {
        var exponent = Int(floor(log10(abs(value))))
        let decimals = min(max(exponent - stepExponent, 0), 6)
        var mantissa = (value / pow(10, Double(exponent)) * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals))
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        return trimmed(String(format: "%.\(decimals)f", mantissa)) + "e\(exponent)"
    }

    /// `text` without trailing zeros after a decimal point (and without the point if nothing is
    /// left after it); `-0` becomes `0`.
    static func trimmed(_ text: String) -> String {
        var result = text
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        return result == "-0" ? "0" : result
    }

    /// `value` rounded and clamped to ±10^9, so that far-off coordinates convert safely.
    static func clampToInt(_ value: Double) -> Int {
        guard !value.isNaN else { return Int.min / 2 }
        return Int(min(max(value, -1e9), 1e9).rounded())
    }
}

/// An RGB picture to draw on: pixels, filled rectangles, thick lines and text in a built-in
/// 5×7 bitmap font, all clipped to ``clip``.
///
/// Coordinates are pixels from the top left, x to the right and y down.
public struct PlotCanvas {
    public let width: Int
    public let height: Int
    /// Interleaved [height][width][3] bytes (red, green, blue).
    public var pixels: [UInt8]
    /// Inclusive pixel bounds outside which drawing is dropped; the whole canvas at first.
    public var clip: (minX: Int, minY: Int, maxX: Int, maxY: Int)

    /// The height of a capital letter or digit at scale 1; letters with descenders (g, j, p, q,
    /// y, `,`, `_`) reach 2 pixels further down.
    public static let glyphHeight = 7

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        require(width >= 0 && height >= 0, "PlotCanvas: a non-negative size expected, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.0
            pixels[3 * i + 1] = background.1
            pixels[3 * i + 2] = background.2
        }
        clip = (0, 0, width - 1, height - 1)
    }

    /// The colour at (x, y), which must lie on the canvas.
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        require(x >= 0 && x < width && y >= 0 && y < height, "PlotCanvas.pixel: (\(x), \(y)) is off the \(width)×\(height) canvas")
        let i = 3 * (y * width + x)
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The clip rectangle intersected with the canvas.
    var bounds: (minX: Int, minY: Int, maxX: Int, maxY: Int) {
        (max(clip.minX, 0), max(clip.minY, 0), min(clip.maxX, width - 1), min(clip.maxY, height - 1))
    }

    /// Sets (x, y) to `color` when it lies inside the clip rectangle and the canvas.
    public mutating func setPixel(x: Int, y: Int, color: (UInt8, UInt8, UInt8)) {
        let b = bounds
        guard x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.0
        pixels[i + 1] = color.1
        pixels[i + 2] = color.2
    }

    /// Fills the `width` × `height` rectangle whose top left pixel is (x, y).
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: (UInt8, UInt8, UInt8)) {
        guard w > 0, h > 0 else { return }
        let b = bounds
        guard x <= b.maxX, y <= b.maxY else { return }
        // The last column and row, x + w − 1 and y + h − 1, where an overflow means far off to the right or bottom.
        let right = x.addingReportingOverflow(w - 1), bottom = y.addingReportingOverflow(h - 1)
        let x0 = max(x, b.minX), y0 = max(y, b.minY)
        let x1 = right.overflow ? b.maxX : min(right.partialValue, b.maxX)
        let y1 = bottom.overflow ? b.maxY : min(bottom.partialValue, b.maxY)
        guard x0 <= x1, y0 <= y1 else { return }
        for row in y0...y1 {
            var i = 3 * (row * width + x0)
            for _ in x0...x1 {
                pixels[i] = color.0
                pixels[i + 1] = color.1
                pixels[i + 2] = color.2
                i += 3
            }
        }
    }

    /// Draws the 1-pixel outline of the rectangle with inclusive corners (left, top), (right, bottom).
    public mutating func strokeRect(left: Int, top: Int, right: Int, bottom: Int, color: (UInt8, UInt8, UInt8)) {
        guard left <= right, top <= bottom else { return }
        fillRect(x: left, y: top, width: right - left + 1, height: 1, color: color)
        fillRect(x: left, y: bottom, width: right - left + 1, height: 1, color: color)
        fillRect(x: left, y: top, width: 1, height: bottom - top + 1, color: color)
        fillRect(x: right, y: top, width: 1, height: bottom - top + 1, color: color)
    }

    /// Draws a line from (x0, y0) to (x1, y1) with Bresenham's algorithm, `thickness` pixels
    /// thick across its main direction (a mostly horizontal line is thickened downwards-and-up,
    /// a mostly vertical one sideways).
    ///
    /// Coordinates may be fractional (they are rounded) or far off the canvas (the line is
    /// clipped first); a NaN coordinate draws nothing, ±∞ counts as very far off.
    public mutating func drawLine(
        x0: Double, y0: Double, x1: Double, y1: Double, color: (UInt8, UInt8, UInt8), thickness: Int = 1
    ) {
        guard !x0.isNaN, !y0.isNaN, !x1.isNaN, !y1.isNaN, thickness > 0 else { return }
        func limited(_ v: Double) -> Double { min(max(v, -1e9), 1e9) }
        let b = bounds
        guard b.minX <= b.maxX, b.minY <= b.maxY else { return }
        let pad = Double(thickness + 1)
        guard let segment = Self.clipSegment(
            limited(x0), limited(y0), limited(x1), limited(y1),
            minX: Double(b.minX) - pad, minY: Double(b.minY) - pad, maxX: Double(b.maxX) + pad, maxY: Double(b.maxY) + pad)
        else { return }
        var x = Int(segment.0.rounded()), y = Int(segment.1.rounded())
        let endX = Int(segment.2.rounded()), endY = Int(segment.3.rounded())
        let dx = abs(endX - x), dy = -abs(endY - y)
        let stepX = x < endX ? 1 : -1, stepY = y < endY ? 1 : -1
        let mostlyHorizontal = dx >= -dy
        let low = -(thickness - 1) / 2
        // err = dx + dy tracks the distance from the ideal line for both directions.
        var err = dx + dy
        while true {
            for k in low..<(low + thickness) {
                if mostlyHorizontal { setPixel(x: x, y: y + k, color: color) } else { setPixel(x: x + k, y: y, color: color) }
            }
            if x == endX && y == endY { break }
            let twice = 2 * err
            if twice >= dy { err += dy; x += stepX }
            if twice <= dx { err += dx; y += stepY }
        }
    }

    /// The part of the segment inside the rectangle (Liang–Barsky), or nil when none is.
    static func clipSegment(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double,
        minX: Double, minY: Double, maxX: Double, maxY: Double
    ) -> (Double, Double, Double, Double)? {
        let dx = x1 - x0, dy = y1 - y0
        var enter = 0.0, leave = 1.0
        // Each (p, q): the segment is inside that edge where p·t ≤ q.
        for (p, q) in [(-dx, x0 - minX), (dx, maxX - x0), (-dy, y0 - minY), (dy, maxY - y0)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let t = q / p
                if p < 0 { enter = max(enter, t) } else { leave = min(leave, t) }
                if enter > leave { return nil }
            }
        }
        return (x0 + enter * dx, y0 + enter * dy, x0 + leave * dx, y0 + leave * dy)
    }

    /// Draws `s` in the built-in bitmap font with its top left at (x, y): capitals and digits
    /// are 7 × `scale` pixels tall, each font pixel a `scale` × `scale` square. Characters
    /// without a glyph are drawn as a small box.
    public mutating func drawText(_ s: String, x: Int, y: Int, color: (UInt8, UInt8, UInt8), scale: Int = 1) {
        guard scale > 0 else { return }
        var penX = x
        for character in s {
            let glyph = BitmapFont.glyph(character)
            for (row, bits) in glyph.rows.enumerated() where bits != 0 {
                for column in 0..<glyph.width where bits & (1 << (glyph.width - 1 - column)) != 0 {
                    fillRect(x: penX + column * scale, y: y + row * scale, width: scale, height: scale, color: color)
                }
            }
            penX += (glyph.width + 1) * scale
        }
    }

    /// The width in pixels of `s` drawn by ``drawText(_:x:y:color:scale:)``.
    public static func textWidth(_ s: String, scale: Int = 1) -> Int {
        let columns = s.reduce(0) { $0 + BitmapFont.glyph($1).width + 1 }
        return max(columns - 1, 0) * max(scale, 0)
    }
}

/// The built-in font: 5 columns × 7 rows for letters and digits (narrower for some
/// punctuation), plus 2 rows below the baseline for descenders.
enum BitmapFont {
    struct Glyph {
        /// Columns.
        var width: Int
        /// One bit mask per row from the top; bit `width − 1 − c` is column c.
        var rows: [UInt16]
    }

    /// The glyph of a character without one: a small box.
    static let box = parse("..... ##### #...# #...# #...# #...# #####")

    static func glyph(_ character: Character) -> Glyph {
        glyphs[character] ?? box
    }

    /// Rows separated by spaces, `#` on and `.` off.
    static func parse(_ picture: String) -> Glyph {
        let rows = picture.split(separator: " ")
        let width = rows.first?.count ?? 0
        require(rows.allSatisfy { $0.count == width }, "BitmapFont: ragged glyph \(picture)")
        return Glyph(width: width, rows: rows.map { row in
            row.reduce(UInt16(0)) { ($0 << 1) | ($1 == "#" ? 1 : 0) }
        })
    }

    static let glyphs: [Character: Glyph] = {
        var table: [Character: Glyph] = [:]
        for (character, picture) in pictures { table[character] = parse(picture) }
        return table
    }()

    static let pictures: [(Character, String)] = [
        (" ", "... ... ... ... ... ... ..."),
        ("0", ".###. #...# #..## #.#.# ##..# #...# .###."),
        ("1", "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("2", ".###. #...# ....# ...#. ..#.. .#... #####"),
        ("3", "##### ...#. ..#.. ...#. ....# #...# .###."),
        ("4", "...#. ..##. .#.#. #..#. ##### ...#. ...#."),
        ("5", "##### #.... ####. ....# ....# #...# .###."),
        ("6", "..##. .#... #.... ####. #...# #...# .###."),
        ("7", "##### ....# ...#. ..#.. .#... .#... .#..."),
        ("8", ".###. #...# #...# .###. #...# #...# .###."),
        ("9", ".###. #...# #...# .#### ....# ...#. .##.."),
        ("A", ".###. #...# #...# ##### #...# #...# #...#"),
        ("B", "####. #...# #...# ####. #...# #...# ####."),
        ("C", ".###. #...# #.... #.... #.... #...# .###."),
        ("D", "###.. #..#. #...# #...# #...# #..#. ###.."),
        ("E", "##### #.... #.... ####. #.... #.... #####"),
        ("F", "##### #.... #.... ####. #.... #.... #...."),
        ("G", ".###. #...# #.... #.### #...# #...# .####"),
        ("H", "#...# #...# #...# ##### #...# #...# #...#"),
        ("I", ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("J", "..### ...#. ...#. ...#. ...#. #..#. .##.."),
        ("K", "#...# #..#. #.#.. ##... #.#.. #..#. #...#"),
        ("L", "#.... #.... #.... #.... #.... #.... #####"),
        ("M", "#...# ##.## #.#.# #.#.# #...# #...# #...#"),
        ("N", "#...# #...# ##..# #.#.# #..## #...# #...#"),
        ("O", ".###. #...# #...# #...# #...# #...# .###."),
        ("P", "####. #...# #...# ####. #.... #.... #...."),
        ("Q", ".###. #...# #...# #...# #.#.# #..#. .##.#"),
        ("R", "####. #...# #...# ####. #.#.. #..#. #...#"),
        ("S", ".#### #.... #.... .###. ....# ....# ####."),
        ("T", "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
        ("U", "#...# #...# #...# #...# #...# #...# .###."),
        ("V", "#...# #...# #...# #...# #...# .#.#. ..#.."),
        ("W", "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."),
        ("X", "#...# #...# .#.#. ..#.. .#.#. #...# #...#"),
        ("Y", "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."),
        ("Z", "##### ....# ...#. ..#.. .#... #.... #####"),
        ("a", "..... ..... .###. ....# .#### #...# .####"),
        ("b", "#.... #.... ####. #...# #...# #...# ####."),
        ("c", "..... ..... .###. #.... #.... #...# .###."),
        ("d", "....# ....# .#### #...# #...# #...# .####"),
        ("e", "..... ..... .###. #...# ##### #.... .###."),
        ("f", "..##. .#..# .#... ###.. .#... .#... .#..."),
        ("g", "..... ..... .#### #...# #...# #...# .#### ....# .###."),
        ("h", "#.... #.... #.##. ##..# #...# #...# #...#"),
        ("i", "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."),
        ("j", "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##.."),
        ("k", "#.... #.... #..#. #.#.. ##... #.#.. #..#."),
        ("l", ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("m", "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#"),
        ("n", "..... ..... #.##. ##..# #...# #...# #...#"),
        ("o", "..... ..... .###. #...# #...# #...# .###."),
        ("p", "..... ..... ####. #...# #...# #...# ####. #.... #...."),
        ("q", "..... ..... .#### #...# #...# #...# .#### ....# ....#"),
        ("r", "..... ..... #.##. ##..# #.... #.... #...."),
        ("s", "..... ..... .#### #.... .###. ....# ####."),
        ("t", ".#... .#... ###.. .#... .#... .#..# ..##."),
        ("u", "..... ..... #...# #...# #...# #..## .##.#"),
        ("v", "..... ..... #...# #...# #...# .#.#. ..#.."),
        ("w", "..... ..... #...# #...# #.#.# #.#.# .#.#."),
        ("x", "..... ..... #...# .#.#. ..#.. .#.#. #...#"),
        ("y", "..... ..... #...# #...# #...# #...# .#### ....# .###."),
        ("z", "..... ..... ##### ...#. ..#.. .#... #####"),
        (".", ".. .. .. .. .. ## ##"),
        (",", ".. .. .. .. .. ## .# #."),
        (":", ".. ## ## .. ## ## .."),
        ("-", ".... .... .... #### .... .... ...."),
        ("+", "..... ..#.. ..#.. ##### ..#.. ..#.. ....."),
        ("=", "..... ..... ##### ..... ##### ..... ....."),
        ("(", "..# .#. #.. #.. #.. .#. ..#"),
        (")", "#.. .#. ..# ..# ..# .#. #.."),
        ("/", "....# ....# ...#. ..#.. .#... #.... #...."),
        ("_", "..... ..... ..... ..... ..... ..... ..... #####"),
        ("%", "##... ##..# ...#. ..#.. .#... #..## ...##"),
        ("'", "# # . . . . ."),
        ("!", "# # # # # . #"),
        ("?", ".###. #...# ....# ...#. ..#.. ..... ..#.."),
        ("*", "..... #.#.# .###. ##### .###. #.#.# ....."),
        ("#", ".#.#. ##### .#.#. .#.#. .#.#. ##### .#.#."),
        ("[", "### #.. #.. #.. #.. #.. ###"),
        ("]", "### ..# ..# ..# ..# ..# ###"),
        ("<", "...# ..#. .#.. #... .#.. ..#. ...#"),
        (">", "#... .#.. ..#. ...# ..#. .#.. #..."),
        ("|", "# # # # # # #"),
    ]
}
