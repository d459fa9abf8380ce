//! SVG charts of a tune: a metric's median (with its 95% confidence interval as an error
//! bar) against one axis of the grid (the metric's own choice if the grid has it, else the
//! first axis), one line per combination of the other axes' values. The values across are
//! spaced evenly, in the order given: grids are usually geometric (300, 1000, 3000 ms),
//! and even spacing shows each step alike.

use crate::catalog::Metric;
use crate::results::{CellResults, TuneResults};
use crate::stats::Summary;
use plotters::prelude::*;

const WIDTH_PX: u32 = 760;
const HEIGHT_PX: u32 = 480;

/// Fraction of the data's height added on top per legend line, so the legend sits above
/// the lines instead of over them.
const LEGEND_SHARE_PER_LINE: f64 = 0.075;

/// One line of a chart: the other axes' values it stands for, and its points.
struct Line {
    label: String,
    /// (position on the first axis, summary there)
    points: Vec<(usize, Summary)>,
}

/// The chart of `metric`, or `None` when the grid has no axis or the metric no value.
pub fn chart_svg(results: &TuneResults, metric: &Metric) -> Option<String> {
    let axes = &results.header.grid.axes;
    let across = across_index(results, metric)?;
    let first = &axes[across];
    let lines = lines(results, metric, across);
    let highest = lines
        .iter()
        .flat_map(|line| &line.points)
        .map(|(_, summary)| {
            let (value, interval) = metric.charted.of(summary);
            interval.map_or(value, |(_, high)| high.max(value))
        })
        .fold(None, |highest: Option<f64>, value| {
            Some(highest.map_or(value, |h| h.max(value)))
        })?;
    // Headroom above the data for the legend, a line of it per line of the chart.
    let legend_share = LEGEND_SHARE_PER_LINE * lines.len() as f64;
    let top = if highest > 0.0 {
        highest * (1.05 + legend_share)
    } else {
        1.0
    };
    let positions = first.values.len();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} ({}) vs {}", metric.title, metric.unit, first.field),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(positions as f64 - 0.5), 0f64..top)
            .ok()?;
        let label_of = |x: &f64| {
            let index = x.round();
            if (x - index).abs() > 1e-6 || index < 0.0 {
                return String::new();
            }
            first
                .values
                .get(index as usize)
                .cloned()
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(positions.max(2) * 2 + 1)
            .x_label_formatter(&label_of)
            .x_desc(first.field.as_str())
            .y_desc(format!(
                "{}, 95% CI ({})",
                metric.charted.name(),
                metric.unit
            ))
            .disable_x_mesh()
            .draw()
            .ok()?;
        for (index, line) in lines.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            let points: Vec<(f64, f64)> = line
                .points
                .iter()
                .map(|(position, summary)| (*position as f64, metric.charted.of(summary).0))
                .collect();
            let series = chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .ok()?;
            if !line.label.is_empty() {
                series.label(line.label.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&point| Circle::new(point, 3, color.filled())),
                )
                .ok()?;
            chart
                .draw_series(line.points.iter().filter_map(|(position, summary)| {
                    let (value, interval) = metric.charted.of(summary);
                    let (low, high) = interval?;
                    Some(ErrorBar::new_vertical(
                        *position as f64,
                        low.max(0.0),
                        value,
                        high,
                        color.stroke_width(1),
                        8,
                    ))
                }))
                .ok()?;
        }
        if lines.iter().any(|line| !line.label.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .ok()?;
        }
        root.present().ok()?;
    }
    Some(svg)
}

/// Which axis goes across: the metric's choice if the grid has it, else the first;
/// `None` for a grid without axes.
fn across_index(results: &TuneResults, metric: &Metric) -> Option<usize> {
    let axes = &results.header.grid.axes;
    let chosen = metric
        .chart_across
        .and_then(|field| axes.iter().position(|axis| axis.field == field));
    chosen.or((!axes.is_empty()).then_some(0))
}

/// The cells grouped into lines by the values of every axis but the one `across`.
fn lines(results: &TuneResults, metric: &Metric, across: usize) -> Vec<Line> {
    let axes = &results.header.grid.axes;
    let value_of = |cell: &CellResults, field: &str| {
        cell.settings
            .iter()
            .find(|setting| setting.field == field)
            .map(|setting| setting.value.clone())
            .unwrap_or_default()
    };
    let mut lines: Vec<Line> = Vec::new();
    for cell in &results.cells {
        let label = axes
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != across)
            .map(|(_, axis)| axis)
            .map(|axis| format!("{}={}", axis.field, value_of(cell, &axis.field)))
            .collect::<Vec<_>>()
            .join(", ");
        let across_value = value_of(cell, &axes[across].field);
        let position = axes[across]
            .values
            .iter()
            .position(|value| *value == across_value)
            .unwrap_or(0);
        let index = match lines.iter().position(|line| line.label == label) {
            Some(index) => index,
            None => {
                lines.push(Line {
                    label,
                    points: Vec::new(),
                });
                lines.len() - 1
            }
        };
        if let Some(summary) = metric.summarize(cell) {
            lines[index].points.push((position, summary));
        }
    }
    lines
}
