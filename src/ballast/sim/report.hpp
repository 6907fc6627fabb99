#pragma once
// What a simulation writes (issue 7, items 5 and 7): results.json, for machines, and report.html,
// for a risk committee.
//
// results.json holds every PathOutcome field of every path, the summary statistics and what
// reproduces the run (seed, scenario, venue, paths, steps, accounts, the configuration file and
// the command line). It is a function of the results alone: no time stamp, no host, and not the
// thread count (which never changes a figure), so the same run gives the same bytes on 1 or 16
// threads. Money is in exact quote units (integers) as the engine counts them; "quote" says the
// symbol and decimals that turn them into quote money. Expected shortfalls and other means are
// doubles, written in the shortest form that reads back to the same double.
//
// report.html opens offline: one file, CSS inline, charts as inline SVG drawn here, no script,
// font or image from anywhere. It shows the summary table, the bad-debt distribution, the
// insurance fund over time (5th-95th percentile band and median), the worst paths' fund over
// time and their figures, and, for a sweep, the settings' table and ES chart.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ballast/core/result.hpp"
#include "ballast/sim/results.hpp"
#include "ballast/sim/statistics.hpp"
#include "ballast/sim/sweep.hpp"

namespace ballast::sim {

using Json = nlohmann::ordered_json;

struct RunInfo {
  std::string config;          // the configuration file the run read
  std::string command;         // a command line that reproduces the figures
  std::string quote_symbol = "units";
  std::uint32_t quote_decimals = 0;  // quote money = units / 10^decimals
  StatisticsOptions statistics;      // how the summary was computed
};

// A sweep: its axes and, per setting, the statistics and ranking; best is the index of the
// setting ranked first, whose run `results` is.
struct SweepReport {
  std::vector<GridAxis> axes;
  std::vector<SweepEntry> entries;
  std::size_t best = 0;
};

Json statistics_json(const SummaryStatistics& statistics);
Json path_json(const PathOutcome& path);
Json results_json(const SimulationResults& results, const SummaryStatistics& statistics, const RunInfo& run);
// The sweep's document: the run description, the axes, every setting's statistics and rank, and
// the best setting's whole results under "best".
Json sweep_json(const SweepReport& sweep, const SimulationResults& best, const SummaryStatistics& best_statistics,
                const RunInfo& run);

// A document as results.json's bytes: two-space indent, a final newline.
std::string json_text(const Json& document);

// The run back from results.json's document (threads is not in it: 1); an invalid_input error
// naming the first missing or mistyped field.
Result<SimulationResults> results_from_json(const Json& document);

// report.html. threads is shown in the run's description (the only place it is written);
// sweep is null for a single run.
std::string report_html(const SimulationResults& results, const SummaryStatistics& statistics, const RunInfo& run,
                        std::uint32_t threads, const SweepReport* sweep = nullptr);

// Writes text to path (replaced); an io error naming the path.
Outcome write_text_file(const std::string& path, const std::string& text);

}  // namespace ballast::sim
