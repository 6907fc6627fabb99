// report.html (report.hpp): one self-contained page, CSS inline, every chart an inline SVG drawn
// here. Nothing is fetched when it opens: no script, no web font, no image, no link off the page.
// The page is a function of its inputs (numbers are printed with snprintf in the "C" locale the
// program never leaves), so the same run writes the same page.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ballast/sim/report.hpp"

namespace ballast::sim {
namespace {

using Point = std::pair<double, double>;

std::string escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string printed(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// 1234567.891 -> "1,234,567.89" (decimals after the point).
std::string grouped(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::abs(value));
  std::string digits(buffer);
  const std::size_t point = std::min(digits.find('.'), digits.size());
  std::string out;
  for (std::size_t i = 0; i < point; ++i) {
    if (i != 0 && (point - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out += digits.substr(point);
  return (value < 0 && out.find_first_not_of("0.,") != std::string::npos ? "-" : "") + out;
}

// Axis ticks: 1.5M, 250k, 12.5.
std::string compact(double value) {
  const double size = std::abs(value);
  if (size >= 1e9) return printed("%.4gB", value / 1e9);
  if (size >= 1e6) return printed("%.4gM", value / 1e6);
  if (size >= 1e3) return printed("%.4gk", value / 1e3);
  return printed("%.4g", value);
}

std::string percent(double share) { return printed("%.2f%%", share * 100.0); }

// Quote money from exact units.
class Money {
 public:
  explicit Money(const RunInfo& run) : symbol_(run.quote_symbol), scale_(std::pow(10.0, run.quote_decimals)) {}
  double value(double units) const { return units / scale_; }
  std::string text(double units) const { return grouped(value(units), 2) + " " + symbol_; }
  const std::string& symbol() const { return symbol_; }

 private:
  std::string symbol_;
  double scale_;
};

// The step of about `count` ticks across span: 1, 2 or 5 times a power of ten.
double tick_step(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10.0 * power;
}

struct Range {
  double low = 0.0;
  double high = 1.0;
};

// The y range of lines (and of `also`) with 5% room above and below: fitted to the data, not
// from 0, so a drawdown of 0.5% of a fund shows as a fall rather than a flat line at the top.
Range y_range(std::initializer_list<const std::vector<Point>*> lines, double also) {
  Range r{also, also};
  for (const std::vector<Point>* line : lines) {
    for (const auto& [x, y] : *line) {
      r.low = std::min(r.low, y);
      r.high = std::max(r.high, y);
    }
  }
  const double room = r.high > r.low ? (r.high - r.low) * 0.05 : std::max(1.0, std::abs(r.high) * 0.01);
  return {r.low - room, r.high + room};
}

// One chart: data coordinates mapped into a fixed plot area, axes with ticks, a title.
class Plot {
 public:
  static constexpr double kWidth = 760, kHeight = 300, kLeft = 84, kRight = 16, kTop = 28, kBottom = 44;

  Plot(std::string title, Range x, Range y, std::string x_label, std::string y_label)
      : title_(std::move(title)), x_(x), y_(y), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

  double px(double x) const { return kLeft + (x - x_.low) / (x_.high - x_.low) * (kWidth - kLeft - kRight); }
  double py(double y) const { return kHeight - kBottom - (y - y_.low) / (y_.high - y_.low) * (kHeight - kTop - kBottom); }

  void polyline(const std::vector<Point>& points, const std::string& css_class) {
    body_ += "<polyline class=\"" + css_class + "\" points=\"" + coordinates(points) + "\"/>\n";
  }
  // The area between two lines over the same x values.
  void band(const std::vector<Point>& lower, const std::vector<Point>& upper, const std::string& css_class) {
    std::vector<Point> outline(upper);
    outline.insert(outline.end(), lower.rbegin(), lower.rend());
    body_ += "<polygon class=\"" + css_class + "\" points=\"" + coordinates(outline) + "\"/>\n";
  }
  void bar(double x0, double x1, double y, const std::string& css_class, const std::string& tip) {
    const double top = std::min(py(y), py(0.0));
    body_ += "<rect class=\"" + css_class + "\" x=\"" + printed("%.1f", px(x0)) + "\" y=\"" + printed("%.1f", top) +
             "\" width=\"" + printed("%.1f", std::max(px(x1) - px(x0) - 1.0, 1.0)) + "\" height=\"" +
             printed("%.1f", std::abs(py(0.0) - py(y))) + "\"><title>" + escaped(tip) + "</title></rect>\n";
  }
  // A vertical marker; labels of several markers go on rows 0, 1, ... so they do not overlap,
  // and left of the line near the right edge.
  void vline(double x, const std::string& label, const std::string& css_class, int label_row) {
    const bool left = px(x) > kWidth - 90;
    body_ += "<line class=\"" + css_class + "\" x1=\"" + printed("%.1f", px(x)) + "\" x2=\"" + printed("%.1f", px(x)) +
             "\" y1=\"" + printed("%.1f", kTop) + "\" y2=\"" + printed("%.1f", kHeight - kBottom) + "\"/>\n" +
             text(px(x) + (left ? -3 : 3), kTop + 10 + 12 * label_row, label, left ? "note end" : "note");
  }
  void hline(double y, const std::string& label, const std::string& css_class) {
    body_ += "<line class=\"" + css_class + "\" x1=\"" + printed("%.1f", kLeft) + "\" x2=\"" +
             printed("%.1f", kWidth - kRight) + "\" y1=\"" + printed("%.1f", py(y)) + "\" y2=\"" +
             printed("%.1f", py(y)) + "\"/>\n" + text(kWidth - kRight - 4, py(y) - 4, label, "note end");
  }
  void label(double x, double y, const std::string& words, const std::string& css_class) {
    body_ += text(px(x), py(y), words, css_class);
  }

  std::string svg() const {
    return "<svg viewBox=\"0 0 " + printed("%.0f", kWidth) + " " +
           printed("%.0f", kHeight) + "\" role=\"img\" aria-label=\"" + escaped(title_) + "\">\n" +
           text(kLeft, 16, title_, "title") + axes() + body_ + "</svg>\n";
  }

 private:
  static std::string text(double x, double y, const std::string& words, const std::string& css_class) {
    return "<text class=\"" + css_class + "\" x=\"" + printed("%.1f", x) + "\" y=\"" + printed("%.1f", y) + "\">" +
           escaped(words) + "</text>\n";
  }
  std::string coordinates(const std::vector<Point>& points) const {
    std::string out;
    for (const auto& [x, y] : points) out += printed("%.1f", px(x)) + "," + printed("%.1f", py(y)) + " ";
    return out;
  }
  std::string axes() const {
    std::string out = "<g class=\"axis\">\n<line x1=\"" + printed("%.1f", kLeft) + "\" x2=\"" +
                      printed("%.1f", kWidth - kRight) + "\" y1=\"" + printed("%.1f", kHeight - kBottom) +
                      "\" y2=\"" + printed("%.1f", kHeight - kBottom) + "\"/>\n<line x1=\"" + printed("%.1f", kLeft) +
                      "\" x2=\"" + printed("%.1f", kLeft) + "\" y1=\"" + printed("%.1f", kTop) + "\" y2=\"" +
                      printed("%.1f", kHeight - kBottom) + "\"/>\n";
    const double x_step = tick_step(x_.high - x_.low, 6);
    for (double x = std::ceil(x_.low / x_step) * x_step; x <= x_.high + x_step * 1e-9; x += x_step) {
      out += text(px(x), kHeight - kBottom + 16, compact(x), "tick middle");
    }
    const double y_step = tick_step(y_.high - y_.low, 5);
    for (double y = std::ceil(y_.low / y_step) * y_step; y <= y_.high + y_step * 1e-9; y += y_step) {
      out += "<line class=\"grid\" x1=\"" + printed("%.1f", kLeft) + "\" x2=\"" + printed("%.1f", kWidth - kRight) +
             "\" y1=\"" + printed("%.1f", py(y)) + "\" y2=\"" + printed("%.1f", py(y)) + "\"/>\n" +
             text(kLeft - 6, py(y) + 4, compact(y), "tick end");
    }
    out += text((kLeft + kWidth - kRight) / 2, kHeight - 8, x_label_, "axis-label middle");
    out += "<text class=\"axis-label middle\" transform=\"translate(14," + printed("%.1f", (kTop + kHeight - kBottom) / 2) +
           ") rotate(-90)\">" + escaped(y_label_) + "</text>\n</g>\n";
    return out;
  }

  std::string title_;
  Range x_;
  Range y_;
  std::string x_label_;
  std::string y_label_;
  std::string body_;
};

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 64em;
       padding: 0 1em; color: #1d2430; background: #fff; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #d8dde6; }
p.sub { color: #5a6475; margin-top: 0; } code { background: #f2f4f8; padding: 0.1em 0.3em; border-radius: 3px; }
table { border-collapse: collapse; margin: 0.8em 0; } th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e6e9ef; }
th { text-align: left; font-weight: 600; background: #f6f7fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.infeasible td { color: #9b2c2c; } tr.best td { font-weight: 600; }
svg { width: 100%; max-width: 760px; height: auto; display: block; margin: 0.5em 0 1.5em; }
svg text { font: 11px system-ui, sans-serif; fill: #394150; } svg text.title { font-size: 13px; font-weight: 600; }
svg text.middle { text-anchor: middle; } svg text.end { text-anchor: end; } svg text.note { fill: #7b341e; }
.axis line { stroke: #394150; } line.grid { stroke: #edf0f5; }
rect.bar { fill: #3b6ea8; } rect.feasible { fill: #2f855a; } rect.infeasible { fill: #c53030; }
polygon.band { fill: #3b6ea8; fill-opacity: 0.18; stroke: none; }
polyline { fill: none; stroke-width: 1.6; } polyline.median { stroke: #1f3f66; }
polyline.w0 { stroke: #c53030; } polyline.w1 { stroke: #dd6b20; } polyline.w2 { stroke: #b7791f; }
polyline.w3 { stroke: #6b46c1; } polyline.w4 { stroke: #2c7a7b; }
line.marker { stroke: #7b341e; stroke-dasharray: 4 3; }
line.limit, polyline.limit { stroke: #1d2430; stroke-dasharray: 6 3; }
.note-text { color: #5a6475; font-size: 0.92em; }
)";

std::string row(const std::vector<std::string>& cells, const char* row_class = nullptr) {
  std::string out = row_class == nullptr ? "<tr>" : std::string("<tr class=\"") + row_class + "\">";
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i == 0 ? "<td>" : "<td class=\"n\">") + cells[i] + "</td>";
  return out + "</tr>\n";
}

std::string header(const std::vector<std::string>& cells) {
  std::string out = "<tr>";
  for (const std::string& cell : cells) out += "<th>" + cell + "</th>";
  return out + "</tr>\n";
}

std::string interval(const std::string& low, const std::string& high) { return "[" + low + ", " + high + "]"; }

std::string tail_rows(const std::string& what, const LossSummary& loss, const Money& money) {
  std::string out = row({what + ": mean", money.text(loss.mean_units), ""});
  out += row({what + ": worst path", money.text(static_cast<double>(loss.max_units)), ""});
  for (const TailEstimate& t : loss.tails) {
    const std::string level = printed("%g%%", t.level * 100.0);
    out += row({what + ": VaR " + level, money.text(static_cast<double>(t.var_units)),
                interval(money.text(static_cast<double>(t.var_low_units)), money.text(static_cast<double>(t.var_high_units)))});
    out += row({what + ": ES " + level, money.text(t.es_units),
                interval(money.text(t.es_low_units), money.text(t.es_high_units))});
  }
  return out;
}

std::string proportion_row(const std::string& what, const Proportion& p) {
  return row({what, percent(p.estimate) + " (" + std::to_string(p.count) + " of " + std::to_string(p.total) + ")",
              interval(percent(p.low), percent(p.high))});
}

std::string quantile_row(const std::string& what, const Quantiles& q, const std::function<std::string(double)>& shown) {
  return row({what, shown(static_cast<double>(q.p95)),
              "median " + shown(static_cast<double>(q.p50)) + ", p99 " + shown(static_cast<double>(q.p99)) + ", max " +
                  shown(static_cast<double>(q.max))});
}

std::string summary_table(const SummaryStatistics& s, const Money& money) {
  const std::string confidence = printed("%g%%", s.confidence * 100.0);
  std::string out = "<table>\n" + header({"figure", "estimate", confidence + " interval"});
  out += tail_rows("bad debt", s.bad_debt, money);
  out += tail_rows("insurance fund drawdown", s.insurance_drawdown, money);
  out += proportion_row("probability of insolvency (socialized or unresolved loss)", s.insolvent);
  out += proportion_row("probability bad debt exceeds the starting insurance fund", s.fund_exceeded);
  out += proportion_row("probability of any bad debt", s.any_bad_debt);
  out += quantile_row("liquidations at risk (p95 volume)", s.liquidations_at_risk,
                      [&](double units) { return money.text(units); });
  out += quantile_row("liquidations per path (p95)", s.liquidation_count, [](double n) { return grouped(n, 0); });
  out += quantile_row("ADL hits per path (p95)", s.adl_hits, [](double n) { return grouped(n, 0); });
  out += row({"quote pool peak utilization", "mean " + percent(s.utilization_max_mean),
              "max " + percent(s.utilization_max_max)});
  out += row({"insurance fund at start", money.text(static_cast<double>(s.insurance_fund_start_units)), ""});
  return out + "</table>\n";
}

std::string loss_histogram(const SimulationResults& results, const SummaryStatistics& s, const Money& money) {
  std::vector<double> losses;
  for (const PathOutcome& p : results.paths) {
    if (p.bad_debt_units > 0) losses.push_back(money.value(static_cast<double>(p.bad_debt_units)));
  }
  const std::string zero_note = "<p class=\"note-text\">" + std::to_string(results.paths.size() - losses.size()) +
                                " of " + std::to_string(results.paths.size()) +
                                " paths ended without bad debt; the chart shows the others.</p>\n";
  if (losses.empty()) return "<p>No path ended with bad debt.</p>\n";
  const double top = *std::max_element(losses.begin(), losses.end());
  const std::size_t bins = std::clamp<std::size_t>(static_cast<std::size_t>(std::sqrt(losses.size())), 5, 40);
  const double width = top / static_cast<double>(bins);
  std::vector<std::size_t> counts(bins, 0);
  for (const double loss : losses) ++counts[std::min(bins - 1, static_cast<std::size_t>(loss / width))];
  const double most = static_cast<double>(*std::max_element(counts.begin(), counts.end()));
  Plot plot("Bad debt per path (paths with bad debt)", {0.0, top * 1.04}, {0.0, most * 1.1}, "bad debt, " + money.symbol(),
            "paths");
  for (std::size_t b = 0; b < bins; ++b) {
    const double low = width * static_cast<double>(b);
    plot.bar(low, low + width, static_cast<double>(counts[b]), "bar",
             std::to_string(counts[b]) + " paths from " + grouped(low, 2) + " to " + grouped(low + width, 2));
  }
  int row = 0;
  for (const TailEstimate& t : s.bad_debt.tails) {
    const double es = money.value(t.es_units);
    if (es > 0) plot.vline(es, printed("ES %g%%", t.level * 100.0), "marker", row++);
  }
  return plot.svg() + zero_note;
}

std::vector<Point> series_points(const std::vector<std::int64_t>& units, const Money& money) {
  std::vector<Point> points;
  for (std::size_t i = 0; i < units.size(); ++i) {
    points.emplace_back(static_cast<double>(i + 1), money.value(static_cast<double>(units[i])));
  }
  return points;
}

std::string fund_band_chart(const SummaryStatistics& s, const Money& money) {
  if (s.fund.p50_units.empty()) return "<p>No steps recorded.</p>\n";
  const auto low = series_points(s.fund.p05_units, money);
  const auto median = series_points(s.fund.p50_units, money);
  const auto high = series_points(s.fund.p95_units, money);
  const double start = money.value(static_cast<double>(s.insurance_fund_start_units));
  Plot plot("Insurance fund over time: 5th-95th percentile across paths, and median",
            {1.0, std::max(2.0, static_cast<double>(median.size()))}, y_range({&low, &high}, start), "step",
            "insurance fund, " + money.symbol());
  plot.band(low, high, "band");
  plot.polyline(median, "median");
  plot.hline(start, "start", "limit");
  return plot.svg();
}

std::string worst_chart(const SimulationResults& results, const std::vector<std::size_t>& worst, const Money& money) {
  if (worst.empty() || results.paths[worst.front()].insurance_fund_units.empty()) return "";
  std::vector<std::vector<Point>> lines;
  double steps = 2.0;
  const double start = money.value(static_cast<double>(results.paths[worst.front()].insurance_fund_start_units));
  Range y{start, start};
  for (const std::size_t index : worst) {
    lines.push_back(series_points(results.paths[index].insurance_fund_units, money));
    steps = std::max(steps, static_cast<double>(lines.back().size()));
    const Range line = y_range({&lines.back()}, start);
    y = {std::min(y.low, line.low), std::max(y.high, line.high)};
  }
  Plot plot("Insurance fund over time on the worst paths (by bad debt)", {1.0, steps}, y, "step",
            "insurance fund, " + money.symbol());
  for (std::size_t i = 0; i < lines.size(); ++i) plot.polyline(lines[i], "w" + std::to_string(i % 5));
  std::string legend = "<p class=\"note-text\">Lines, in order of colour (red, orange, ochre, violet, teal): paths";
  for (const std::size_t index : worst) legend += " " + std::to_string(results.paths[index].path);
  return plot.svg() + legend + ".</p>\n";
}

std::string worst_table(const SimulationResults& results, const std::vector<std::size_t>& worst, const Money& money) {
  std::string out = "<table>\n" + header({"path", "bad debt", "insurance paid", "ADL", "socialized", "unresolved",
                                          "fund drawdown", "liquidations", "liquidation volume", "ADL hits",
                                          "peak utilization"});
  for (const std::size_t index : worst) {
    const PathOutcome& p = results.paths[index];
    const auto m = [&](std::int64_t units) { return money.text(static_cast<double>(units)); };
    out += row({std::to_string(p.path), m(p.bad_debt_units), m(p.insurance_paid_units), m(p.adl_units),
                m(p.socialized_units), m(p.unresolved_units), m(p.insurance_drawdown_units),
                std::to_string(p.liquidations), m(p.liquidation_volume_units), std::to_string(p.adl_hits),
                percent(p.utilization_max)});
  }
  return out + "</table>\n";
}

std::string sweep_section(const SweepReport& sweep, const Money& money) {
  std::string out = "<h2>Sweep: " + std::to_string(sweep.entries.size()) +
                    " settings, common random numbers</h2>\n<p>Every setting ran the same seed, so each saw the "
                    "same market paths and agents' draws. Ranked by bad-debt ES at 99%, settings whose ES stays "
                    "within the starting insurance fund first.</p>\n<table>\n" +
                    header({"rank", "#", "setting", "ES 99%", "ES 95%", "VaR 99%", "P(insolvent)", "insurance fund",
                            "ES &le; fund"});
  std::vector<std::size_t> by_rank(sweep.entries.size());
  for (std::size_t i = 0; i < sweep.entries.size(); ++i) by_rank[sweep.entries[i].rank - 1] = i;
  double top = 0.0;
  for (const std::size_t i : by_rank) {
    const SweepEntry& e = sweep.entries[i];
    const SummaryStatistics& s = e.statistics;
    top = std::max({top, s.bad_debt.tails[kRankingTail].es_high_units, static_cast<double>(s.insurance_fund_start_units)});
    out += row({std::to_string(e.rank), std::to_string(i + 1), escaped(setting_label(e.setting)),
                money.text(s.bad_debt.tails[kRankingTail].es_units), money.text(s.bad_debt.tails[0].es_units),
                money.text(static_cast<double>(s.bad_debt.tails[kRankingTail].var_units)), percent(s.insolvent.estimate),
                money.text(static_cast<double>(s.insurance_fund_start_units)), e.feasible ? "yes" : "no"},
               i == sweep.best ? "best" : e.feasible ? nullptr : "infeasible");
  }
  out += "</table>\n";
  Plot plot("Bad-debt ES 99% by setting (grid order), with its bootstrap interval",
            {0.5, static_cast<double>(sweep.entries.size()) + 0.5}, {0.0, money.value(top) * 1.1 + 1e-9}, "setting #",
            "ES 99%, " + money.symbol());
  for (std::size_t i = 0; i < sweep.entries.size(); ++i) {
    const SweepEntry& e = sweep.entries[i];
    const TailEstimate& t = e.statistics.bad_debt.tails[kRankingTail];
    const double x = static_cast<double>(i + 1);
    plot.bar(x - 0.35, x + 0.35, money.value(t.es_units), e.feasible ? "feasible" : "infeasible",
             setting_label(e.setting) + ": " + money.text(t.es_units));
    plot.polyline({{x, money.value(t.es_low_units)}, {x, money.value(t.es_high_units)}}, "median");
    const double fund = money.value(static_cast<double>(e.statistics.insurance_fund_start_units));
    plot.polyline({{x - 0.45, fund}, {x + 0.45, fund}}, "limit");
  }
  return out + plot.svg() +
         "<p class=\"note-text\">Bars: ES 99% (green within the fund, red beyond it), with its bootstrap interval; "
         "dashed: the setting's starting insurance fund.</p>\n";
}

std::string definitions(const SummaryStatistics& s) {
  return "<h2>Definitions</h2>\n<p class=\"note-text\">Losses are per path, sorted x<sub>(1)</sub> &le; &hellip; &le; "
         "x<sub>(n)</sub>. VaR<sub>&alpha;</sub> = x<sub>(k)</sub> with k = &lceil;&alpha;n&rceil;. ES<sub>&alpha;</sub> "
         "is the mean of the worst (1&minus;&alpha;) share of paths, the path at rank k weighted (k&minus;&alpha;n) "
         "(Acerbi &amp; Tasche 2002). Intervals of VaR and ES: percentile bootstrap, " +
         std::to_string(s.bootstrap_resamples) +
         " resamples drawn from the counter-based generator keyed by the seed. Probabilities: Wilson score "
         "intervals. Liquidations at risk: quantiles of the notional closed by liquidations per path. Money is "
         "the quote asset; the engine's exact figures are in results.json.</p>\n";
}

}  // namespace

std::string report_html(const SimulationResults& results, const SummaryStatistics& statistics, const RunInfo& run,
                        std::uint32_t threads, const SweepReport* sweep) {
  const Money money(run);
  const std::vector<std::size_t> worst = worst_paths(results, 5);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Ballast stress "
                    "simulation: " + escaped(results.scenario) + " on " + escaped(results.venue) +
                    "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>Stress simulation: " + escaped(results.scenario) + " on " + escaped(results.venue) + "</h1>\n";
  out += "<p class=\"sub\">" + std::to_string(results.paths.size()) + " paths of " + std::to_string(results.steps) +
         " steps, " + std::to_string(results.accounts) + " trader sub-accounts each, seed " +
         std::to_string(results.seed) + ", run on " + std::to_string(threads) +
         " thread(s) (the figures do not depend on it).</p>\n";
  out += "<p>Reproduce: <code>" + escaped(run.command) + "</code></p>\n";
  if (sweep != nullptr) {
    out += "<p>Below: the best-ranked setting, " + escaped(setting_label(sweep->entries[sweep->best].setting)) +
           ". The sweep's table follows its charts.</p>\n";
  }
  out += "<h2>Summary</h2>\n" + summary_table(statistics, money);
  out += "<h2>Loss distribution</h2>\n" + loss_histogram(results, statistics, money);
  out += "<h2>Insurance fund over time</h2>\n" + fund_band_chart(statistics, money);
  out += "<h2>Worst paths</h2>\n" + worst_chart(results, worst, money) + worst_table(results, worst, money);
  if (sweep != nullptr) out += sweep_section(*sweep, money);
  out += definitions(statistics);
  return out + "</body>\n</html>\n";
}

}  // namespace ballast::sim
