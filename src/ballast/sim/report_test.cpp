#include "ballast/sim/report.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ballast::sim {
namespace {

PathOutcome sample_path(std::uint64_t number) {
  const auto n = static_cast<std::int64_t>(number);
  PathOutcome p;
  p.path = number;
  p.bad_debt_units = n * 1'000'000;
  p.insurance_paid_units = n * 600'000;
  p.adl_units = n * 300'000;
  p.socialized_units = n * 100'000;
  p.unresolved_units = 0;
  p.insurance_fund_start_units = 5'000'000;
  p.insurance_fund_units = {5'000'000, 5'000'000 - n * 400'000, 5'000'000 - n * 600'000};
  p.insurance_drawdown_units = n * 600'000;
  p.liquidations = number * 3;
  p.bankruptcies = number;
  p.adl_hits = number * 2;
  p.liquidation_volume_units = n * 25'000'000;
  p.utilization_max = 0.125 * static_cast<double>(number);
  p.events_applied = 1000 + number;
  p.events_rejected = 7 * number;
  return p;
}

SimulationResults sample_results(std::uint32_t threads) {
  SimulationResults r;
  r.venue = "ballast-default";
  r.scenario = "ftx-2022";
  r.seed = 42;
  r.threads = threads;
  r.steps = 3;
  r.accounts = 50;
  for (std::uint64_t i = 0; i < 6; ++i) r.paths.push_back(sample_path(i));
  return r;
}

RunInfo sample_run() {
  RunInfo run;
  run.config = "configs/simulate-default.toml";
  run.command = "ballast simulate --config configs/simulate-default.toml --seed 42 --paths 6 --steps 3";
  run.quote_symbol = "USDC";
  run.quote_decimals = 6;
  run.statistics = {.seed = 42, .bootstrap_resamples = 100};
  return run;
}

std::string results_text(const SimulationResults& results) {
  const RunInfo run = sample_run();
  return json_text(results_json(results, summarize(results, run.statistics), run));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(ResultsJson, EveryPathFieldAndHowToReproduce) {
  const SimulationResults results = sample_results(1);
  const Json doc = Json::parse(results_text(results));
  EXPECT_EQ(doc["format"], "ballast-simulation-results/1");
  EXPECT_EQ(doc["reproduce"]["seed"], 42);
  EXPECT_EQ(doc["reproduce"]["scenario"], "ftx-2022");
  EXPECT_EQ(doc["reproduce"]["venue"], "ballast-default");
  EXPECT_EQ(doc["reproduce"]["paths"], 6);
  EXPECT_EQ(doc["reproduce"]["steps"], 3);
  EXPECT_EQ(doc["reproduce"]["accounts"], 50);
  EXPECT_EQ(doc["reproduce"]["config"], "configs/simulate-default.toml");
  EXPECT_EQ(doc["quote"]["decimals"], 6);
  const Json& p = doc["paths"][2];
  EXPECT_EQ(p.size(), 16u);  // every PathOutcome field
  EXPECT_EQ(p["path"], 2);
  EXPECT_EQ(p["bad_debt_units"], 2'000'000);
  EXPECT_EQ(p["insurance_paid_units"], 1'200'000);
  EXPECT_EQ(p["adl_units"], 600'000);
  EXPECT_EQ(p["socialized_units"], 200'000);
  EXPECT_EQ(p["unresolved_units"], 0);
  EXPECT_EQ(p["insurance_fund_start_units"], 5'000'000);
  EXPECT_EQ(p["insurance_drawdown_units"], 1'200'000);
  EXPECT_EQ(p["liquidations"], 6);
  EXPECT_EQ(p["bankruptcies"], 2);
  EXPECT_EQ(p["adl_hits"], 4);
  EXPECT_EQ(p["liquidation_volume_units"], 50'000'000);
  EXPECT_EQ(p["utilization_max"], 0.25);
  EXPECT_EQ(p["events_applied"], 1002);
  EXPECT_EQ(p["events_rejected"], 14);
  EXPECT_EQ(p["insurance_fund_units"], (std::vector<std::int64_t>{5'000'000, 4'200'000, 3'800'000}));
}

// Summary by hand: bad debt 0, 1, ..., 5 million units over 6 paths. n = 6: alpha n = 5.7 and
// 5.94, so k = 6 at both levels: VaR = ES = the worst path, 5,000,000. Paths 1-5 socialize a
// loss (insolvent: 5 of 6); bad debt exceeds the 5,000,000 fund on none (5,000,000 is not more).
TEST(ResultsJson, SummaryByHand) {
  const Json summary = Json::parse(results_text(sample_results(1)))["summary"];
  EXPECT_EQ(summary["paths"], 6);
  EXPECT_EQ(summary["bad_debt"]["mean_units"], 2'500'000.0);
  EXPECT_EQ(summary["bad_debt"]["tails"][0]["level"], 0.95);
  EXPECT_EQ(summary["bad_debt"]["tails"][0]["var_units"], 5'000'000);
  EXPECT_EQ(summary["bad_debt"]["tails"][1]["es_units"], 5'000'000.0);
  EXPECT_EQ(summary["probability_insolvent"]["paths"], 5);
  EXPECT_EQ(summary["probability_bad_debt_exceeds_fund"]["paths"], 0);
  EXPECT_EQ(summary["liquidations_at_risk_units"]["max"], 125'000'000);
  // The fund's median after each step is x_(3) of 6 (rank ceil(0.5 * 6)): after step 2 the
  // funds are 5,000,000 - n * 400,000 for n = 0..5, the third smallest 3,800,000 (n = 3).
  EXPECT_EQ(summary["insurance_fund_units_by_step"]["p50"], (std::vector<std::int64_t>{5'000'000, 3'800'000, 3'200'000}));
}

TEST(ResultsJson, SameBytesWhateverTheThreadCount) {
  const std::string one = results_text(sample_results(1));
  EXPECT_EQ(one, results_text(sample_results(2)));
  EXPECT_EQ(one, results_text(sample_results(1)));
  EXPECT_EQ(one.find("thread"), std::string::npos);
  EXPECT_EQ(one.back(), '\n');
}

// Pretty where it helps a reader, one line per path and per array of numbers.
TEST(ResultsJson, Layout) {
  const std::string text = results_text(sample_results(1));
  EXPECT_EQ(text.rfind("{\n  \"format\": \"ballast-simulation-results/1\",\n  \"reproduce\": {\n    \"command\": ", 0), 0u);
  EXPECT_NE(text.find("\n    {\"path\":2,\"bad_debt_units\":2000000,"), std::string::npos);
  EXPECT_NE(text.find("\"insurance_fund_units\":[5000000,4200000,3800000]}"), std::string::npos);
  EXPECT_NE(text.find("\n      \"p50\": [5000000,3800000,3200000],\n"), std::string::npos);
  EXPECT_EQ(occurrences(text, "{\"path\":"), 6u);
  EXPECT_EQ(text.substr(text.size() - 9), "]}\n  ]\n}\n");  // the last path, the array, the document
}

TEST(ResultsJson, RoundTrip) {
  const SimulationResults results = sample_results(1);
  const std::string text = results_text(results);
  const Result<SimulationResults> read = results_from_json(Json::parse(text));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->venue, results.venue);
  EXPECT_EQ(read->scenario, results.scenario);
  EXPECT_EQ(read->seed, results.seed);
  EXPECT_EQ(read->steps, results.steps);
  EXPECT_EQ(read->accounts, results.accounts);
  ASSERT_EQ(read->paths.size(), results.paths.size());
  // path_json writes every field (EveryPathFieldAndHowToReproduce), so equal documents are equal paths.
  for (std::size_t i = 0; i < results.paths.size(); ++i) EXPECT_EQ(path_json(read->paths[i]), path_json(results.paths[i])) << i;
  EXPECT_EQ(results_text(*read), text);  // and writing it again gives the same bytes
}

TEST(ResultsJson, ReadingNamesTheBadField) {
  Json doc = Json::parse(results_text(sample_results(1)));
  doc["paths"][1].erase("adl_hits");
  const auto missing = results_from_json(doc);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "paths[1].adl_hits: missing");
  doc["paths"][1]["adl_hits"] = "three";
  const auto mistyped = results_from_json(doc);
  ASSERT_FALSE(mistyped.ok());
  EXPECT_EQ(mistyped.error().message, "paths[1].adl_hits: wrong type");
  EXPECT_FALSE(results_from_json(Json::array()).ok());
}

std::string sample_html(const SimulationResults& results, std::uint32_t threads, const SweepReport* sweep = nullptr) {
  const RunInfo run = sample_run();
  return report_html(results, summarize(results, run.statistics), run, threads, sweep);
}

// Well-formed enough for a browser, self-contained, and every chart present.
TEST(ReportHtml, SelfContainedWithItsCharts) {
  SimulationResults results = sample_results(2);
  results.venue = "a<b>&\"c\"";
  const std::string html = sample_html(results, 2);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>\n"), std::string::npos);
  for (const char* absent : {"http://", "https://", "<script", "<link", "<img", "url(", "@import", "a<b>"}) {
    EXPECT_EQ(html.find(absent), std::string::npos) << absent;
  }
  EXPECT_NE(html.find("a&lt;b&gt;&amp;&quot;c&quot;"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg "), 3u);  // loss distribution, fund band, worst paths
  EXPECT_EQ(occurrences(html, "<svg "), occurrences(html, "</svg>"));
  EXPECT_EQ(occurrences(html, "<table>"), occurrences(html, "</table>"));
  EXPECT_EQ(occurrences(html, "<tr"), occurrences(html, "</tr>"));
  EXPECT_EQ(occurrences(html, "<text"), occurrences(html, "</text>"));
  EXPECT_NE(html.find("<polygon class=\"band\""), std::string::npos);
  EXPECT_NE(html.find("<rect class=\"bar\""), std::string::npos);
  EXPECT_NE(html.find("<polyline class=\"w0\""), std::string::npos);
  EXPECT_NE(html.find("run on 2 thread(s)"), std::string::npos);
  // Money in quote units: path 5's bad debt 5,000,000 units at 6 decimals is 5.00 USDC.
  EXPECT_NE(html.find("5.00 USDC"), std::string::npos);
}

TEST(ReportHtml, Deterministic) {
  EXPECT_EQ(sample_html(sample_results(1), 1), sample_html(sample_results(1), 1));
}

TEST(ReportHtml, NoBadDebtNoHistogram) {
  SimulationResults results = sample_results(1);
  results.paths.resize(1);  // path 0: no bad debt
  const std::string html = sample_html(results, 1);
  EXPECT_NE(html.find("No path ended with bad debt."), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg "), 2u);
}

TEST(ReportHtml, SweepSection) {
  const SimulationResults results = sample_results(1);
  const RunInfo run = sample_run();
  SweepReport sweep;
  sweep.axes = {{"insurance_fund_quote", {"1", "10"}}};
  for (const char* value : {"1", "10"}) {
    SweepEntry entry{{{"insurance_fund_quote", value}}, summarize(results, run.statistics)};
    entry.statistics.insurance_fund_start_units = std::string(value) == "1" ? 1'000'000 : 10'000'000;
    sweep.entries.push_back(std::move(entry));
  }
  rank_settings(sweep.entries);
  sweep.best = 1;
  const std::string html = report_html(results, summarize(results, run.statistics), run, 1, &sweep);
  EXPECT_EQ(occurrences(html, "<svg "), 4u);
  EXPECT_NE(html.find("<tr class=\"best\"><td>1</td><td class=\"n\">2</td><td class=\"n\">insurance_fund_quote=10</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"infeasible\"><td>2</td><td class=\"n\">1</td>"), std::string::npos);
  EXPECT_NE(html.find("<rect class=\"feasible\""), std::string::npos);
  EXPECT_NE(html.find("<rect class=\"infeasible\""), std::string::npos);
  const Json doc = Json::parse(json_text(sweep_json(sweep, results, summarize(results, run.statistics), run)));
  EXPECT_EQ(doc["settings"].size(), 2u);
  EXPECT_EQ(doc["settings"][0]["rank"], 2);
  EXPECT_EQ(doc["settings"][0]["feasible"], false);
  EXPECT_EQ(doc["settings"][1]["parameters"]["insurance_fund_quote"], "10");
  EXPECT_EQ(doc["best"]["paths"].size(), 6u);
}

}  // namespace
}  // namespace ballast::sim
