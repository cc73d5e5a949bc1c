//! Horizontal bar charts, a coloured matrix and columns over time drawn on
//! the server as inline SVG, for the numbers people would rather look at
//! than read (accesses per status, per lot, monthly value per operator,
//! availability per lot, availability per access and month, accesses down
//! per operator, and an access's monitored time and latency per hour and
//! per day). No JavaScript and no floating point: this
//! module computes integer geometry and `templates/macros.html` draws it, so
//! every label is escaped like any other text. Each chart sits next to a
//! table with the same numbers, for screen readers and for copying.

/// Width of the label column, the plot and the value column, in SVG units.
const LABEL_WIDTH: i64 = 210;
const PLOT_WIDTH: i64 = 360;
const VALUE_WIDTH: i64 = 130;
/// Height of a row and of its bar.
const ROW_HEIGHT: i64 = 28;
pub const BAR_HEIGHT: i64 = 18;
const PADDING: i64 = 6;
/// Labels longer than this are shortened (the full text is in the tooltip).
const MAX_LABEL_CHARS: usize = 26;

/// One bar to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarInput {
    pub label: String,
    pub value: i64,
    pub value_text: String,
    /// CSS class of the bar (its colour).
    pub class: String,
    /// Where clicking the bar goes.
    pub href: Option<String>,
}

/// A bar, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub short_label: String,
    pub value_text: String,
    pub class: String,
    pub href: Option<String>,
    /// Top of the bar and baseline of its texts.
    pub y: i64,
    pub text_y: i64,
    pub length: i64,
    pub value_x: i64,
}

/// A horizontal bar chart, laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarChart {
    pub title: String,
    pub width: i64,
    pub height: i64,
    /// Where bars start (labels end just left of it) and how long the
    /// longest may be.
    pub plot_x: i64,
    pub plot_width: i64,
    pub label_x: i64,
    pub bar_height: i64,
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// Lays out bars proportional to their values; the largest fills the
    /// plot. A positive value always gets a visible bar.
    pub fn horizontal(title: impl Into<String>, inputs: Vec<BarInput>) -> BarChart {
        let max = inputs.iter().map(|b| b.value).max().unwrap_or(0).max(0);
        BarChart::layout(title.into(), inputs, max)
    }

    /// Lays out bars on a scale from `floor` to `ceiling` rather than from
    /// zero, for values that differ only near the top (availability between
    /// 98 % and 100 %): a value at the floor or below gets no bar. The
    /// title should say where the scale starts.
    pub fn horizontal_from(
        title: impl Into<String>,
        inputs: Vec<BarInput>,
        floor: i64,
        ceiling: i64,
    ) -> BarChart {
        let shifted =
            inputs.into_iter().map(|b| BarInput { value: b.value.saturating_sub(floor), ..b }).collect();
        BarChart::layout(title.into(), shifted, ceiling.saturating_sub(floor))
    }

    fn layout(title: String, inputs: Vec<BarInput>, max: i64) -> BarChart {
        let bars = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                let row_top = PADDING + i as i64 * ROW_HEIGHT;
                let length = bar_length(input.value, max);
                Bar {
                    short_label: shorten(&input.label),
                    label: input.label,
                    value_text: input.value_text,
                    class: input.class,
                    href: input.href,
                    y: row_top + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                    text_y: row_top + ROW_HEIGHT / 2 + 5,
                    length,
                    value_x: LABEL_WIDTH + length + 6,
                }
            })
            .collect::<Vec<_>>();
        BarChart {
            title,
            width: LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
            height: 2 * PADDING + bars.len() as i64 * ROW_HEIGHT,
            plot_x: LABEL_WIDTH,
            plot_width: PLOT_WIDTH,
            label_x: LABEL_WIDTH - 8,
            bar_height: BAR_HEIGHT,
            bars,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

/// One cell of a matrix to draw: its colour class, its text, its tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellInput {
    pub class: &'static str,
    pub text: String,
    pub tip: String,
}

/// One row of a matrix to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowInput {
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<CellInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixHeader {
    pub x: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixCell {
    pub x: i64,
    pub text_x: i64,
    pub class: &'static str,
    pub text: String,
    pub tip: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    pub label: String,
    pub short_label: String,
    pub href: Option<String>,
    pub y: i64,
    pub text_y: i64,
    pub cells: Vec<MatrixCell>,
}

/// A matrix of coloured cells with their values (availability of each
/// access in each month), laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub title: String,
    pub width: i64,
    pub height: i64,
    pub label_x: i64,
    pub header_y: i64,
    pub cell_width: i64,
    pub cell_height: i64,
    pub columns: Vec<MatrixHeader>,
    pub rows: Vec<MatrixRow>,
}

const CELL_WIDTH: i64 = 84;
const CELL_GAP: i64 = 4;
const HEADER_HEIGHT: i64 = 24;
const CELL_HEIGHT: i64 = 20;

impl Matrix {
    /// Lays out `rows` under the column headings; a row with fewer cells
    /// than columns leaves the rest blank.
    pub fn new(title: impl Into<String>, columns: Vec<String>, rows: Vec<RowInput>) -> Matrix {
        let col_x = |i: usize| LABEL_WIDTH + i as i64 * (CELL_WIDTH + CELL_GAP);
        let columns: Vec<MatrixHeader> = columns
            .into_iter()
            .enumerate()
            .map(|(i, text)| MatrixHeader { x: col_x(i) + CELL_WIDTH / 2, text })
            .collect();
        let rows: Vec<MatrixRow> = rows
            .into_iter()
            .enumerate()
            .map(|(r, row)| {
                let top = HEADER_HEIGHT + PADDING + r as i64 * ROW_HEIGHT;
                MatrixRow {
                    short_label: shorten(&row.label),
                    label: row.label,
                    href: row.href,
                    y: top + (ROW_HEIGHT - CELL_HEIGHT) / 2,
                    text_y: top + ROW_HEIGHT / 2 + 4,
                    cells: row
                        .cells
                        .into_iter()
                        .take(columns.len())
                        .enumerate()
                        .map(|(i, c)| MatrixCell {
                            x: col_x(i),
                            text_x: col_x(i) + CELL_WIDTH / 2,
                            class: c.class,
                            text: c.text,
                            tip: c.tip,
                        })
                        .collect(),
                }
            })
            .collect();
        Matrix {
            title: title.into(),
            width: col_x(columns.len().max(1)) + PADDING,
            height: HEADER_HEIGHT + 2 * PADDING + rows.len() as i64 * ROW_HEIGHT,
            label_x: LABEL_WIDTH - 8,
            header_y: HEADER_HEIGHT - 6,
            cell_width: CELL_WIDTH,
            cell_height: CELL_HEIGHT,
            columns,
            rows,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() || self.columns.is_empty()
    }
}

// ----- columns over time: an access's availability and latency -----

/// A time chart's total width, the room left of the plot for the scale,
/// the plot's top and height and the room under it for the time labels.
const TIME_WIDTH: i64 = 720;
const AXIS_WIDTH: i64 = 64;
const TIME_TOP: i64 = 10;
const TIME_PLOT_HEIGHT: i64 = 140;
const TICK_ROOM: i64 = 22;
/// Space between two columns.
const COLUMN_GAP: i64 = 2;
/// The smallest latency scale: 1 ms, in microseconds.
const MIN_LATENCY_SCALE_US: i64 = 1_000;

/// A horizontal line across the plot, with its value on the scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridLine {
    pub y: i64,
    pub text_y: i64,
    pub text: String,
}

/// A time label under a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub x: i64,
    pub text: String,
}

/// The frame both time charts share: the plot's box, its scale lines, the
/// time labels and each column's slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFrame {
    pub width: i64,
    pub height: i64,
    /// The plot spans `plot_x..plot_right` and `plot_top..baseline`.
    pub plot_x: i64,
    pub plot_right: i64,
    pub plot_top: i64,
    pub baseline: i64,
    /// Where the scale's labels end (they are right-aligned).
    pub axis_x: i64,
    pub tick_y: i64,
    pub column_width: i64,
    /// The width each column has, gap included.
    pub slot: i64,
    pub grid: Vec<GridLine>,
    pub ticks: Vec<Tick>,
}

impl TimeFrame {
    /// The frame of `n` columns; `ticks` has one label per column (empty
    /// for none) and `grid` the scale's lines as (height from the
    /// baseline, text).
    fn new(ticks: &[&str], grid: Vec<(i64, String)>) -> TimeFrame {
        let n = (ticks.len() as i64).max(1);
        let slot = (TIME_WIDTH - AXIS_WIDTH - PADDING) / n;
        let baseline = TIME_TOP + TIME_PLOT_HEIGHT;
        TimeFrame {
            width: TIME_WIDTH,
            height: baseline + TICK_ROOM,
            plot_x: AXIS_WIDTH,
            plot_right: AXIS_WIDTH + slot * n,
            plot_top: TIME_TOP,
            baseline,
            axis_x: AXIS_WIDTH - 6,
            tick_y: baseline + 16,
            column_width: (slot - COLUMN_GAP).max(1),
            slot,
            grid: grid
                .into_iter()
                .map(|(h, text)| {
                    let y = baseline - h.clamp(0, TIME_PLOT_HEIGHT);
                    GridLine { y, text_y: y + 4, text }
                })
                .collect(),
            ticks: ticks
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.is_empty())
                .map(|(i, t)| Tick { x: AXIS_WIDTH + i as i64 * slot + slot / 2, text: t.to_string() })
                .collect(),
        }
    }

    /// Where column `i` starts.
    fn column_x(&self, i: usize) -> i64 {
        self.plot_x + i as i64 * self.slot + COLUMN_GAP / 2
    }
}

/// One bucket of time, split by what the monitoring knew of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateInput {
    /// The label under the column (empty for none).
    pub tick: String,
    /// The tooltip: the bucket and its numbers in words.
    pub tip: String,
    pub up_seconds: i64,
    pub down_seconds: i64,
    /// Time in monitoring gaps: neither up nor down.
    pub unknown_seconds: i64,
}

/// A part of a column: `up`, `down` or `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub class: &'static str,
    pub y: i64,
    pub height: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateColumn {
    pub x: i64,
    pub tip: String,
    /// From the baseline up: up, down, unknown (only those with time).
    pub segments: Vec<Segment>,
}

/// Columns of time split into up, down and unknown — each column is a
/// bucket (an hour, a day) and its parts are proportional to the time in
/// each state, so a monitoring gap shows as its own part and never as
/// down time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChart {
    /// Unique on the page: names the hatch pattern of unknown time.
    pub id: String,
    pub title: String,
    pub frame: TimeFrame,
    pub columns: Vec<StateColumn>,
}

impl StateChart {
    pub fn new(id: impl Into<String>, title: impl Into<String>, inputs: Vec<StateInput>) -> StateChart {
        let ticks: Vec<&str> = inputs.iter().map(|i| i.tick.as_str()).collect();
        let grid = vec![
            (TIME_PLOT_HEIGHT, "100 %".to_string()),
            (TIME_PLOT_HEIGHT / 2, "50 %".to_string()),
            (0, "0 %".to_string()),
        ];
        let frame = TimeFrame::new(&ticks, grid);
        let columns = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                let parts = [
                    ("up", input.up_seconds),
                    ("down", input.down_seconds),
                    ("unknown", input.unknown_seconds),
                ];
                let heights = split_height(&parts.map(|(_, s)| s), TIME_PLOT_HEIGHT);
                let mut top = frame.baseline;
                let mut segments = Vec::new();
                for ((class, _), height) in parts.into_iter().zip(heights) {
                    if height > 0 {
                        top -= height;
                        segments.push(Segment { class, y: top, height });
                    }
                }
                StateColumn { x: frame.column_x(i), tip: input.tip, segments }
            })
            .collect();
        StateChart { id: id.into(), title: title.into(), frame, columns }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// Splits `height` among `parts` in proportion, exactly (the heights add
/// up to `height` when any part is positive): a positive part always gets
/// at least one unit, and the largest part takes what rounding leaves.
fn split_height(parts: &[i64; 3], height: i64) -> [i64; 3] {
    let positive = parts.map(|p| p.max(0));
    let total: i128 = positive.iter().map(|&p| i128::from(p)).sum();
    if total == 0 {
        return [0; 3];
    }
    let mut heights = positive.map(|p| {
        if p == 0 {
            0
        } else {
            let share = i128::from(p) * i128::from(height) / total;
            i64::try_from(share).unwrap_or(height).max(1)
        }
    });
    let largest = (0..3).max_by_key(|&i| (positive[i], std::cmp::Reverse(i))).unwrap_or(0);
    heights[largest] += height - heights.iter().sum::<i64>();
    heights
}

/// One bucket's round-trip times, in microseconds (`None`: no answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyInput {
    pub tick: String,
    pub tip: String,
    pub avg_us: Option<i64>,
    pub min_us: Option<i64>,
    pub max_us: Option<i64>,
}

/// A bucket's average as a column, with its minimum–maximum as a whisker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyColumn {
    pub x: i64,
    pub center_x: i64,
    pub tip: String,
    /// The average's column, `(top, height)`.
    pub bar: Option<(i64, i64)>,
    /// The minimum–maximum line, `(top, bottom)`.
    pub whisker: Option<(i64, i64)>,
}

/// Average latency per bucket (columns) with its range (whiskers), on a
/// scale from zero to a round number of milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyChart {
    pub title: String,
    pub frame: TimeFrame,
    pub columns: Vec<LatencyColumn>,
    /// Whether any bucket had an answer (otherwise there is nothing to draw).
    pub answered: bool,
}

impl LatencyChart {
    /// `label` writes a latency (in microseconds) for the scale.
    pub fn new(
        title: impl Into<String>,
        inputs: Vec<LatencyInput>,
        label: fn(i64) -> String,
    ) -> LatencyChart {
        let highest = inputs.iter().filter_map(|i| i.max_us.max(i.avg_us)).max().unwrap_or(0);
        let scale = nice_ceiling(highest);
        let ticks: Vec<&str> = inputs.iter().map(|i| i.tick.as_str()).collect();
        let grid = vec![
            (TIME_PLOT_HEIGHT, label(scale)),
            (TIME_PLOT_HEIGHT / 2, label(scale / 2)),
            (0, "0".to_string()),
        ];
        let frame = TimeFrame::new(&ticks, grid);
        let height_of = |us: i64| -> i64 {
            let h = i128::from(us.max(0)) * i128::from(TIME_PLOT_HEIGHT) / i128::from(scale);
            i64::try_from(h).unwrap_or(TIME_PLOT_HEIGHT).min(TIME_PLOT_HEIGHT)
        };
        let columns = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let x = frame.column_x(i);
                let bar = input.avg_us.filter(|&us| us > 0).map(|us| {
                    let h = height_of(us).max(1);
                    (frame.baseline - h, h)
                });
                let whisker = match (input.min_us, input.max_us) {
                    (Some(lo), Some(hi)) => {
                        Some((frame.baseline - height_of(hi), frame.baseline - height_of(lo)))
                    }
                    _ => None,
                };
                LatencyColumn {
                    x,
                    center_x: x + frame.column_width / 2,
                    tip: input.tip.clone(),
                    bar,
                    whisker,
                }
            })
            .collect();
        LatencyChart {
            title: title.into(),
            frame,
            columns,
            answered: inputs.iter().any(|i| i.avg_us.is_some() || i.max_us.is_some()),
        }
    }
}

/// The smallest of 1, 2 or 5 times a power of ten milliseconds that is at
/// least `us` microseconds (and at least 1 ms).
fn nice_ceiling(us: i64) -> i64 {
    let mut step = MIN_LATENCY_SCALE_US;
    loop {
        for m in [1, 2, 5] {
            if let Some(c) = step.checked_mul(m)
                && c >= us
            {
                return c;
            }
        }
        match step.checked_mul(10) {
            Some(next) => step = next,
            None => return i64::MAX,
        }
    }
}

/// `value / max` of the plot width, in exact integer arithmetic.
fn bar_length(value: i64, max: i64) -> i64 {
    if value <= 0 || max <= 0 {
        return 0;
    }
    let length = i128::from(value) * i128::from(PLOT_WIDTH) / i128::from(max);
    i64::try_from(length).unwrap_or(PLOT_WIDTH).clamp(1, PLOT_WIDTH)
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_string()
    } else {
        let mut short: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(label: &str, value: i64) -> BarInput {
        BarInput {
            label: label.into(),
            value,
            value_text: value.to_string(),
            class: "bar".into(),
            href: None,
        }
    }

    #[test]
    fn bars_are_proportional_to_the_largest() {
        let chart =
            BarChart::horizontal("t", vec![input("a", 100), input("b", 50), input("c", 0), input("d", 1)]);
        let lengths: Vec<i64> = chart.bars.iter().map(|b| b.length).collect();
        assert_eq!(lengths, [PLOT_WIDTH, PLOT_WIDTH / 2, 0, 3]);
        // A tiny but positive value is still visible.
        let tiny = BarChart::horizontal("t", vec![input("a", 1_000_000), input("b", 1)]);
        assert_eq!(tiny.bars[1].length, 1);
    }

    #[test]
    fn rows_stack_without_overlap_and_fit_the_view_box() {
        let chart = BarChart::horizontal("t", (0..5).map(|i| input(&i.to_string(), i)).collect());
        for pair in chart.bars.windows(2) {
            assert_eq!(pair[1].y - pair[0].y, ROW_HEIGHT);
            assert!(pair[0].y + BAR_HEIGHT < pair[1].y);
        }
        let last = chart.bars.last().expect("bars");
        assert!(last.y + BAR_HEIGHT <= chart.height && last.text_y <= chart.height);
        assert!(chart.bars.iter().all(|b| b.value_x + VALUE_WIDTH - 6 <= chart.width));
    }

    #[test]
    fn degenerate_inputs_draw_nothing_wrong() {
        let empty = BarChart::horizontal("t", vec![]);
        assert!(empty.is_empty());
        assert_eq!(empty.height, 2 * PADDING);
        let zeros = BarChart::horizontal("t", vec![input("a", 0), input("b", -5)]);
        assert!(zeros.bars.iter().all(|b| b.length == 0));
        let huge = BarChart::horizontal("t", vec![input("a", i64::MAX), input("b", i64::MAX / 2)]);
        assert_eq!(huge.bars[0].length, PLOT_WIDTH);
        assert_eq!(huge.bars[1].length, PLOT_WIDTH / 2 - 1);
    }

    #[test]
    fn a_scale_from_a_floor_spreads_values_near_the_top() {
        let chart = BarChart::horizontal_from(
            "t",
            vec![input("a", 1_000_000), input("b", 990_000), input("c", 980_000), input("d", 970_000)],
            980_000,
            1_000_000,
        );
        let lengths: Vec<i64> = chart.bars.iter().map(|b| b.length).collect();
        assert_eq!(lengths, [PLOT_WIDTH, PLOT_WIDTH / 2, 0, 0]);
        assert_eq!(chart.bars[3].value_text, "970000", "the text keeps the real value");
    }

    #[test]
    fn matrix_cells_sit_under_their_columns() {
        let cell = |t: &str| CellInput { class: "cell-ok", text: t.into(), tip: t.into() };
        let m = Matrix::new(
            "t",
            vec!["01/2026".into(), "02/2026".into()],
            vec![
                RowInput {
                    label: "AC-1".into(),
                    href: None,
                    cells: vec![cell("a"), cell("b"), cell("extra")],
                },
                RowInput { label: "AC-2".into(), href: Some("/acessos/2".into()), cells: vec![cell("c")] },
            ],
        );
        assert_eq!(m.rows[0].cells.len(), 2, "cells beyond the columns are dropped");
        assert_eq!(m.rows[0].cells[1].text_x, m.columns[1].x);
        assert_eq!(m.rows[1].y - m.rows[0].y, ROW_HEIGHT);
        let last = &m.rows[1];
        assert!(last.y + CELL_HEIGHT <= m.height && m.rows[0].cells[1].x + CELL_WIDTH <= m.width);
        assert!(Matrix::new("t", vec![], vec![]).is_empty());
    }

    #[test]
    fn long_labels_are_shortened() {
        let chart = BarChart::horizontal("t", vec![input("Consórcio Oi/Algar — Lote 9A Perfil V", 1)]);
        assert_eq!(chart.bars[0].short_label.chars().count(), MAX_LABEL_CHARS);
        assert!(chart.bars[0].short_label.ends_with('…'));
        assert_eq!(chart.bars[0].label, "Consórcio Oi/Algar — Lote 9A Perfil V");
    }

    fn state(up: i64, down: i64, unknown: i64) -> StateInput {
        StateInput {
            tick: String::new(),
            tip: String::new(),
            up_seconds: up,
            down_seconds: down,
            unknown_seconds: unknown,
        }
    }

    #[test]
    fn state_columns_split_exactly_and_keep_unknown_apart() {
        assert_eq!(split_height(&[3600, 0, 0], 140), [140, 0, 0]);
        assert_eq!(split_height(&[1800, 900, 900], 140), [70, 35, 35]);
        // A second of downtime in an hour is still visible, and the parts
        // always fill the column.
        assert_eq!(split_height(&[3599, 1, 0], 140), [139, 1, 0]);
        assert_eq!(split_height(&[0, 0, 0], 140), [0, 0, 0]);
        assert_eq!(split_height(&[-5, 0, 10], 140), [0, 0, 140]);
        let chart = StateChart::new(
            "h",
            "t",
            vec![state(3600, 0, 0), state(1800, 0, 1800), state(3000, 600, 0), state(0, 0, 0)],
        );
        let classes = |c: &StateColumn| c.segments.iter().map(|s| s.class).collect::<Vec<_>>();
        assert_eq!(classes(&chart.columns[0]), ["up"]);
        assert_eq!(classes(&chart.columns[1]), ["up", "unknown"], "a gap is unknown, never down");
        assert_eq!(classes(&chart.columns[2]), ["up", "down"]);
        assert!(chart.columns[3].segments.is_empty());
        for c in &chart.columns[..3] {
            let first = &c.segments[0];
            assert_eq!(first.y + first.height, chart.frame.baseline, "stacked from the baseline");
            for pair in c.segments.windows(2) {
                assert_eq!(pair[1].y + pair[1].height, pair[0].y, "no overlap, no hole");
            }
            assert_eq!(c.segments.last().map(|s| s.y), Some(chart.frame.plot_top));
        }
    }

    #[test]
    fn time_columns_fit_the_plot() {
        for n in [1usize, 24, 30] {
            let inputs: Vec<StateInput> = (0..n)
                .map(|i| StateInput {
                    tick: if i % 3 == 0 { format!("{i}h") } else { String::new() },
                    ..state(1, 0, 0)
                })
                .collect();
            let chart = StateChart::new("c", "t", inputs);
            let f = &chart.frame;
            assert_eq!(chart.columns.len(), n);
            assert!(chart.columns.iter().all(|c| c.x >= f.plot_x && c.x + f.column_width <= f.plot_right));
            assert!(f.plot_right <= f.width && f.tick_y < f.height);
            for pair in chart.columns.windows(2) {
                assert!(pair[0].x + f.column_width < pair[1].x);
            }
            assert_eq!(f.ticks.len(), n.div_ceil(3));
        }
    }

    #[test]
    fn latency_is_scaled_to_a_round_number_of_milliseconds() {
        assert_eq!(nice_ceiling(0), 1_000);
        assert_eq!(nice_ceiling(1_000), 1_000);
        assert_eq!(nice_ceiling(1_001), 2_000);
        assert_eq!(nice_ceiling(4_200), 5_000);
        assert_eq!(nice_ceiling(37_000), 50_000);
        assert_eq!(nice_ceiling(i64::MAX), i64::MAX);
        let point = |avg: Option<i64>, min: Option<i64>, max: Option<i64>| LatencyInput {
            tick: String::new(),
            tip: String::new(),
            avg_us: avg,
            min_us: min,
            max_us: max,
        };
        let chart = LatencyChart::new(
            "t",
            vec![
                point(Some(2_000), Some(1_000), Some(4_000)),
                point(None, None, None),
                point(Some(1), None, None),
            ],
            |us| format!("{us}"),
        );
        let f = &chart.frame;
        assert_eq!(f.grid[0].text, "5000", "the scale tops at 5 ms");
        let first = &chart.columns[0];
        assert_eq!(first.bar, Some((f.baseline - TIME_PLOT_HEIGHT * 2 / 5, TIME_PLOT_HEIGHT * 2 / 5)));
        assert_eq!(
            first.whisker,
            Some((f.baseline - TIME_PLOT_HEIGHT * 4 / 5, f.baseline - TIME_PLOT_HEIGHT / 5))
        );
        assert_eq!(
            (chart.columns[1].bar, chart.columns[1].whisker),
            (None, None),
            "no answer: nothing drawn"
        );
        assert_eq!(chart.columns[2].bar.map(|b| b.1), Some(1), "a tiny average is still visible");
        assert!(chart.answered);
        assert!(!LatencyChart::new("t", vec![point(None, None, None)], |us| us.to_string()).answered);
    }
}
