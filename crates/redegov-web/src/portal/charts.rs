//! Horizontal bar charts and a coloured matrix drawn on the server as inline
//! SVG, for the numbers people would rather look at than read (accesses per
//! status, per lot, monthly value per operator, availability per lot, and
//! availability per access and month). No JavaScript and no floating point: this
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
}
