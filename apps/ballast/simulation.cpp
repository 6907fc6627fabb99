#include "simulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <thread>
#include <toml++/toml.h>

#include "ballast/engine/options_config.hpp"
#include "ballast/margin/venue_config.hpp"
#include "ballast/sim/scenarios.hpp"
#include "cli.hpp"

namespace ballast::cli {
namespace {

using sim::SimulationConfig;

// A value the simulation file or a sweep may set. Integer knobs take whole numbers in
// [0, max_integer]; the runner checks every value's range (run_simulation's invalid_input). A
// knob with choices takes one of their names (a TOML string) and holds its index.
struct Knob {
  const char* name;
  double max_integer;  // 0: a real number
  void (*apply)(SimulationConfig&, double);
  std::span<const char* const> choices = {};
};

constexpr const char* kVenueKinds[] = {"pool", "book"};  // sim::VenueKind's order

template <typename T>
T whole(double value) {
  return static_cast<T>(value);
}

sim::AttackerParams& attacker_of(SimulationConfig& config) {
  if (!config.agents.attacker) config.agents.attacker.emplace();
  return *config.agents.attacker;
}

constexpr double kU32 = 4294967295.0;
constexpr double kU53 = 9007199254740992.0;  // integers a double holds exactly

// clang-format off
const Knob kKnobs[] = {
    {"paths", kU32, [](SimulationConfig& c, double v) { c.paths = whole<std::uint32_t>(v); }},
    {"steps", kU32, [](SimulationConfig& c, double v) { c.steps = whole<std::uint32_t>(v); }},
    {"accounts", kU53, [](SimulationConfig& c, double v) { c.accounts = whole<std::uint64_t>(v); }},
    {"insurance_fund_quote", 0, [](SimulationConfig& c, double v) { c.insurance_fund_quote = v; }},
    {"depth.kind", 1, [](SimulationConfig& c, double v) { c.depth.kind = static_cast<sim::VenueKind>(v); }, kVenueKinds},
    {"depth.calm_depth_quote", 0, [](SimulationConfig& c, double v) { c.depth.calm_depth_quote = v; }},
    {"depth.fee", 0, [](SimulationConfig& c, double v) { c.depth.fee = v; }},
    {"depth.recovery_half_life_s", 0, [](SimulationConfig& c, double v) { c.depth.recovery_half_life_s = v; }},
    {"depth.max_distance", 0, [](SimulationConfig& c, double v) { c.depth.max_distance = v; }},
    {"depth.depth_exponent", 0, [](SimulationConfig& c, double v) { c.depth.depth_exponent = v; }},
    {"funding.interval_s", 0, [](SimulationConfig& c, double v) { c.funding.interval_s = v; }},
    {"funding.impact_margin_quote", 0, [](SimulationConfig& c, double v) { c.funding.impact_margin_quote = v; }},
    {"traders.leverage_median", 0, [](SimulationConfig& c, double v) { c.agents.traders.leverage_median = v; }},
    {"traders.leverage_log_std", 0, [](SimulationConfig& c, double v) { c.agents.traders.leverage_log_std = v; }},
    {"traders.leverage_max", 0, [](SimulationConfig& c, double v) { c.agents.traders.leverage_max = v; }},
    {"traders.collateral_median_quote", 0, [](SimulationConfig& c, double v) { c.agents.traders.collateral_median_quote = v; }},
    {"traders.collateral_log_std", 0, [](SimulationConfig& c, double v) { c.agents.traders.collateral_log_std = v; }},
    {"traders.act_probability", 0, [](SimulationConfig& c, double v) { c.agents.traders.act_probability = v; }},
    {"traders.fee_rate", 0, [](SimulationConfig& c, double v) { c.agents.traders.fee_rate = v; }},
    {"traders.margin_call_delay_steps", kU32, [](SimulationConfig& c, double v) { c.agents.traders.margin_call_delay_steps = whole<std::uint32_t>(v); }},
    {"traders.margin_call_deposit_probability", 0, [](SimulationConfig& c, double v) { c.agents.traders.margin_call_deposit_probability = v; }},
    {"liquidators.count", kU32, [](SimulationConfig& c, double v) { c.agents.liquidators.count = whole<std::uint32_t>(v); }},
    {"liquidators.capital_quote", 0, [](SimulationConfig& c, double v) { c.agents.liquidators.capital_quote = v; }},
    {"liquidators.latency_steps", kU32, [](SimulationConfig& c, double v) { c.agents.liquidators.latency_steps = whole<std::uint32_t>(v); }},
    {"liquidators.gas_quote", 0, [](SimulationConfig& c, double v) { c.agents.liquidators.gas_quote = v; }},
    {"liquidators.min_profit_quote", 0, [](SimulationConfig& c, double v) { c.agents.liquidators.min_profit_quote = v; }},
    {"liquidators.outage_probability", 0, [](SimulationConfig& c, double v) { c.agents.liquidators.outage_probability = v; }},
    {"arbitrageurs.capital_quote_per_step", 0, [](SimulationConfig& c, double v) { c.agents.arbitrageurs.capital_quote_per_step = v; }},
    {"arbitrageurs.threshold", 0, [](SimulationConfig& c, double v) { c.agents.arbitrageurs.threshold = v; }},
    {"lps.count", kU32, [](SimulationConfig& c, double v) { c.agents.lps.count = whole<std::uint32_t>(v); }},
    {"lps.deposit_quote", 0, [](SimulationConfig& c, double v) { c.agents.lps.deposit_quote = v; }},
    {"lps.enter_within_steps", kU32, [](SimulationConfig& c, double v) { c.agents.lps.enter_within_steps = whole<std::uint32_t>(v); }},
    {"lps.drawdown_exit", 0, [](SimulationConfig& c, double v) { c.agents.lps.drawdown_exit = v; }},
    // The attacker (an oracle pump on the asset named by AttackerParams, TAIL by default): 1 turns
    // it on, 0 off; its other knobs turn it on too.
    {"attacker.enabled", 1, [](SimulationConfig& c, double v) { if (v == 0) c.agents.attacker.reset(); else attacker_of(c); }},
    {"attacker.deposit_quote", 0, [](SimulationConfig& c, double v) { attacker_of(c).deposit_quote = v; }},
    {"attacker.notional_quote", 0, [](SimulationConfig& c, double v) { attacker_of(c).notional_quote = v; }},
    {"attacker.open_step", kU32, [](SimulationConfig& c, double v) { attacker_of(c).open_step = whole<std::uint32_t>(v); }},
};
// clang-format on

const Knob* find_knob(std::string_view name) {
  for (const Knob& knob : kKnobs) {
    if (name == knob.name) return &knob;
  }
  return nullptr;
}

Error bad_input(std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); }

// The knob's value checked: finite, and for an integer knob whole and within its range.
Outcome check_knob(const Knob& knob, double value, const std::string& where) {
  if (!std::isfinite(value)) return bad_input(where + knob.name + ": must be a finite number");
  if (knob.max_integer > 0 && (value < 0 || value > knob.max_integer || std::floor(value) != value)) {
    return bad_input(where + knob.name + ": must be a whole number in [0, " + std::to_string(static_cast<std::uint64_t>(knob.max_integer)) + "], got " + std::to_string(value));
  }
  return Ok{};
}

// A choice knob's names, "\"pool\", \"book\"".
std::string choice_names(const Knob& knob) {
  std::string names;
  for (const char* name : knob.choices) names += (names.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  return names;
}

// A choice knob's value from its name: depth.kind: must be one of "pool", "book", got "amm".
Result<double> choice_index(const Knob& knob, std::string_view text, const std::string& where) {
  for (std::size_t i = 0; i < knob.choices.size(); ++i) {
    if (text == knob.choices[i]) return static_cast<double>(i);
  }
  return bad_input(where + knob.name + ": must be one of " + choice_names(knob) + ", got \"" + std::string(text) + "\"");
}

// The value of a key of the simulation file: a name for a choice knob, else a checked number.
Result<double> knob_value(const Knob& knob, const toml::node& node, const std::string& where) {
  if (!knob.choices.empty()) {
    const std::optional<std::string> text = node.value<std::string>();
    if (!text) return bad_input(where + knob.name + ": must be a string, one of " + choice_names(knob));
    return choice_index(knob, *text, where);
  }
  const std::optional<double> value = node.value<double>();
  if (!value) return bad_input(where + knob.name + ": must be a number");
  if (Outcome checked = check_knob(knob, *value, where); !checked) return checked.error();
  return *value;
}

Result<std::string> read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, path + ": cannot open the " + what);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<toml::table> parse_toml(const std::string& text, const std::string& path) {
  try {
    return toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    return bad_input(path + ":" + std::to_string(error.source().begin.line) + ": " + std::string(error.description()));
  }
}

std::string where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line) + ": ";
}

// The simulation file's keys into spec; nested tables give dotted knob names.
Outcome read_keys(const toml::table& table, const std::string& prefix, const std::string& path, SimulationSpec& spec) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (prefix.empty() && (name == "venue" || name == "scenario" || name == "seed")) continue;
    if (const toml::table* nested = node.as_table()) {
      if (Outcome read = read_keys(*nested, name + ".", path, spec); !read) return read;
      continue;
    }
    const Knob* knob = find_knob(name);
    if (knob == nullptr) return bad_input(where(path, node) + name + ": unknown key");
    const Result<double> value = knob_value(*knob, node, where(path, node));
    if (!value) return value.error();
    spec.knobs.emplace_back(name, *value);
  }
  return Ok{};
}

// venue, scenario and seed from the file's top level, where given.
Outcome read_run_keys(const toml::table& root, const std::string& path, SimulationSpec& spec) {
  if (const toml::node* venue = root.get("venue")) {
    const auto text = venue->value<std::string>();
    if (!text) return bad_input(where(path, *venue) + "venue: must be a string (a venue file's path)");
    spec.venue_path = (std::filesystem::path(path).parent_path() / *text).lexically_normal().string();
  }
  if (const toml::node* scenario = root.get("scenario")) {
    const auto text = scenario->value<std::string>();
    if (!text) return bad_input(where(path, *scenario) + "scenario: must be a string");
    spec.scenario = *text;
  }
  if (const toml::node* seed = root.get("seed")) {
    const auto value = seed->value<std::int64_t>();
    if (!value || *value < 0) return bad_input(where(path, *seed) + "seed: must be a non-negative integer");
    spec.seed = static_cast<std::uint64_t>(*value);
  }
  return Ok{};
}

Outcome read_simulation_file(const std::string& path, SimulationSpec& spec) {
  auto text = read_file(path, "simulation configuration");
  if (!text) return text.error();
  auto parsed = parse_toml(*text, path);
  if (!parsed) return parsed.error();
  toml::table& root = *parsed;
  if (root.contains("asset")) {  // a venue file: every knob at its default
    spec.venue_path = path;
    spec.venue_text = std::move(*text);
    return Ok{};
  }
  if (Outcome read = read_run_keys(root, path, spec); !read) return read;
  if (spec.venue_path.empty()) return bad_input(path + ": venue: missing (the venue file, relative to this one)");
  for (const char* key : {"venue", "scenario", "seed"}) root.erase(key);
  if (Outcome read = read_keys(root, "", path, spec); !read) return read;
  auto venue = read_file(spec.venue_path, "venue configuration (" + path + ": venue)");
  if (!venue) return venue.error();
  spec.venue_text = std::move(*venue);
  return Ok{};
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

// A dotted name is the simulation's when a knob lives in its table ("traders.", "depth.", ...);
// every other dotted name is a path into the venue file.
bool is_venue_key(const std::string& name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return false;
  const std::string_view table(name.data(), dot + 1);
  return std::none_of(std::begin(kKnobs), std::end(kKnobs),
                      [table](const Knob& knob) { return std::string_view(knob.name).starts_with(table); });
}

// What an entry of an array of tables is called: its symbol (an asset, a market), else the
// asset it is for (a pool).
std::optional<std::string> entry_name(const toml::table& entry) {
  for (const char* key : {"symbol", "asset"}) {
    if (const toml::node* name = entry.get(key)) return name->value<std::string>();
  }
  return std::nullopt;
}

// The table down `parts` (all but the last, the key), making the tables the file lacks: the
// readers then judge the key and its value as they would the file's own lines.
Result<toml::table*> subtable_path(toml::table* table, const std::vector<std::string>& parts, std::size_t first,
                                   const std::string& name) {
  for (std::size_t i = first; i + 1 < parts.size(); ++i) {
    toml::node* next = table->get(parts[i]);
    if (next == nullptr) next = &table->insert_or_assign(parts[i], toml::table{}).first->second;
    if (!next->is_table()) return bad_input("--grid " + name + ": the venue's " + parts[i] + " is not a table");
    table = next->as_table();
  }
  return table;
}

// The venue's table a grid name sets a key of. asset.SYMBOL.key, market.SYMBOL.key and
// pool.ASSET.key pick an entry of the file's array of tables by name; any other first part is a
// top-level table ([liquidation], [breakers], [vault], [engine], ...), made when the file has
// none, with the meaning the file would give it: a [breakers] table turns the breakers on.
Result<toml::table*> venue_table(toml::table& root, const std::vector<std::string>& parts, const std::string& name) {
  toml::array* list = root[parts[0]].as_array();
  if (list == nullptr) return subtable_path(&root, parts, 0, name);
  if (parts.size() < 3) return bad_input("--grid " + name + ": expected " + parts[0] + ".NAME.key");
  for (std::size_t i = 0; i < list->size(); ++i) {
    toml::table* entry = list->get(i)->as_table();
    if (entry != nullptr && entry_name(*entry) == parts[1]) return subtable_path(entry, parts, 2, name);
  }
  return bad_input("--grid " + name + ": the venue has no " + parts[0] + " " + parts[1]);
}

bool is_whole_number(const std::string& text) {
  return !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
}

// The value as the file would write it. The key's old value decides its type: an integer stays
// an integer, true/false a boolean; a key the file lacks takes digits as an integer (a count, or
// nanoseconds as the file's durations do). Anything else is a string, which the readers read
// exactly: a decimal ("0.25"), a duration ("10m") or a word ("market_holders").
void set_value(toml::table& table, const std::string& key, const std::string& text) {
  const toml::node* old = table.get(key);
  if (is_whole_number(text) && (old == nullptr || old->is_integer())) {
    table.insert_or_assign(key, static_cast<std::int64_t>(std::stoll(text)));
  } else if (old != nullptr && old->is_boolean() && (text == "true" || text == "false")) {
    table.insert_or_assign(key, text == "true");
  } else {
    table.insert_or_assign(key, text);
  }
}

// A venue file's text and what errors call it.
struct VenueText {
  std::string text;
  std::string source;
  bool rewritten = false;  // the setting's keys written in: lines are the rewritten text's

  // A reader's error "source:line: key: what". The line of a rewritten text is nowhere in the
  // file, so it goes: the key names the place ("venue.toml with x=1: liquidation.x: unknown key").
  Error located(Error error) const {
    const std::string prefix = source + ":";
    if (!rewritten || !error.message.starts_with(prefix)) return error;
    const std::size_t digits = error.message.find_first_not_of("0123456789", prefix.size());
    if (digits != std::string::npos && error.message[digits] == ':') {
      error.message.erase(prefix.size() - 1, digits - prefix.size() + 1);
    }
    return error;
  }
};

// The venue with the setting's venue keys written into its TOML, read afterwards by the venue
// and engine-options readers with every check they make of the file.
Result<VenueText> venue_text_with(const SimulationSpec& spec, const sim::Setting& setting) {
  std::vector<const std::pair<std::string, std::string>*> edits;
  for (const auto& entry : setting) {
    if (is_venue_key(entry.first)) edits.push_back(&entry);
  }
  if (edits.empty()) return VenueText{spec.venue_text, spec.venue_path};
  auto parsed = parse_toml(spec.venue_text, spec.venue_path);
  if (!parsed) return parsed.error();
  toml::table& root = *parsed;
  for (const auto* edit : edits) {
    const std::vector<std::string> parts = split(edit->first, '.');
    if (std::find(parts.begin(), parts.end(), "") != parts.end()) {
      return bad_input("--grid " + edit->first + ": an empty part in the name");
    }
    auto table = venue_table(root, parts, edit->first);
    if (!table) return table.error();
    set_value(**table, parts.back(), edit->second);
  }
  std::ostringstream text;
  text << root;
  return VenueText{text.str(), spec.venue_path + " with " + sim::setting_label(setting), true};
}

Outcome apply_setting_knobs(const sim::Setting& setting, SimulationConfig& config) {
  for (const auto& [name, text] : setting) {
    if (is_venue_key(name)) continue;
    const Knob* knob = find_knob(name);
    if (knob == nullptr) {
      return bad_input("--grid " + name + ": not a knob of the simulation (" + std::to_string(std::size(kKnobs)) +
                       " knobs, see --help) nor a venue key (table.key, e.g. liquidation.close_factor, or "
                       "asset.SYMBOL.key / market.SYMBOL.key / pool.ASSET.key)");
    }
    if (!knob->choices.empty()) {
      const Result<double> chosen = choice_index(*knob, text, "--grid ");
      if (!chosen) return chosen.error();
      knob->apply(config, *chosen);
      continue;
    }
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') return bad_input("--grid " + name + ": not a number: " + text);
    if (Outcome checked = check_knob(*knob, value, "--grid "); !checked) return checked;
    knob->apply(config, value);
  }
  return Ok{};
}

std::string quote_money(double units, const sim::RunInfo& run) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", units / std::pow(10.0, run.quote_decimals));
  return std::string(buffer) + " " + run.quote_symbol;
}

std::string percent(double share) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%", share * 100.0);
  return buffer;
}

}  // namespace

std::vector<std::string> knob_names() {
  std::vector<std::string> names;
  for (const Knob& knob : kKnobs) names.emplace_back(knob.name);
  return names;
}

void add_simulation_options(CLI::App& command, SimulateArgs& args, const std::string& default_out) {
  args.threads = std::max(1u, std::thread::hardware_concurrency());
  args.out_dir = default_out;
  command.add_option("--config", args.config_path,
                     "simulation file (TOML), e.g. configs/simulate-default.toml, or a venue file")
      ->required();
  command.add_option("--scenario", args.scenario, "scenario name (overrides the file), e.g. ftx-2022");
  command.add_option("--seed", args.seed, "random seed (overrides the file): same seed, same figures");
  command.add_option("--paths", args.paths, "Monte Carlo paths (overrides the file)");
  command.add_option("--steps", args.steps, "steps per path; 0: the scenario's length (overrides the file)");
  command.add_option("--threads", args.threads, "threads over paths; never changes a figure")
      ->check(CLI::Range(1u, 1024u));
  command.add_option("--out", args.out_dir, "directory for results.json and report.html");
}

Result<SimulationSpec> read_simulation_spec(const SimulateArgs& args) {
  SimulationSpec spec;
  spec.config_path = args.config_path;
  spec.scenario = "ftx-2022";
  if (Outcome read = read_simulation_file(args.config_path, spec); !read) return read.error();
  if (args.scenario) spec.scenario = *args.scenario;
  if (args.seed) spec.seed = *args.seed;
  if (args.paths) spec.knobs.emplace_back("paths", *args.paths);
  if (args.steps) spec.knobs.emplace_back("steps", *args.steps);
  return spec;
}

Result<BuiltSimulation> build_simulation(const SimulationSpec& spec, const sim::Setting& setting) {
  auto text = venue_text_with(spec, setting);
  if (!text) return text.error();
  auto venue = margin::parse_venue_config(text->text, text->source);
  if (!venue) return text->located(venue.error());
  auto config = sim::default_simulation_config(*venue, spec.scenario);
  if (!config) return config.error();
  // The venue file's engine tables over the simulator's own options (its price age outlives the
  // oracle's heartbeat, its venue has a vault): what the file omits keeps the simulator's.
  auto options = parse_engine_options(text->text, venue->risk, text->source, config->options);
  if (!options) return text->located(options.error());
  config->options = std::move(*options);
  config->seed = spec.seed;
  for (const auto& [name, value] : spec.knobs) find_knob(name)->apply(*config, value);
  if (Outcome applied = apply_setting_knobs(setting, *config); !applied) return applied.error();
  if (config->paths == 0) return bad_input("paths: must be at least 1, got 0 (--paths or the file's paths)");
  const margin::AssetRisk& quote = venue->quote_asset();
  return BuiltSimulation{std::move(*config), quote.symbol, static_cast<std::uint32_t>(quote.decimals)};
}

// Progress counts account-steps (paths x steps x trader accounts), so the line's rate is the
// simulator's throughput in the unit its benchmarks use.
Result<sim::SimulationResults> run_with_progress(const sim::SimulationConfig& config, std::uint32_t threads,
                                                 const std::string& label) {
  auto scenario = sim::scenario_by_name(config.scenario);
  const std::uint64_t steps = config.steps != 0 || !scenario ? config.steps : (*scenario)->steps;
  const std::uint64_t per_path = std::max<std::uint64_t>(steps * config.accounts, 1);
  Progress progress(label + " (account-steps)", config.paths * per_path);
  auto results = sim::run_simulation(config, threads, [&progress, per_path](std::uint64_t done, std::uint64_t) {
    progress.update(done * per_path);
  });
  if (results) progress.finish();
  return results;
}

sim::RunInfo run_info(const SimulationSpec& spec, const BuiltSimulation& built, const std::string& subcommand,
                      const std::string& extra_arguments) {
  sim::RunInfo run;
  run.config = spec.config_path;
  run.command = "ballast " + subcommand + " --config " + spec.config_path + " --scenario " + spec.scenario +
                " --seed " + std::to_string(spec.seed) + " --paths " + std::to_string(built.config.paths) +
                " --steps " + std::to_string(built.config.steps) + extra_arguments;
  run.quote_symbol = built.quote_symbol;
  run.quote_decimals = built.quote_decimals;
  run.statistics = {.seed = spec.seed, .bootstrap_resamples = 1000, .confidence = 0.95};
  return run;
}

void print_summary(std::ostream& out, const sim::SummaryStatistics& s, const sim::RunInfo& run) {
  const auto money = [&](double units) { return quote_money(units, run); };
  for (const auto* loss : {&s.bad_debt, &s.insurance_drawdown}) {
    out << (loss == &s.bad_debt ? "bad debt" : "insurance fund drawdown") << ": mean " << money(loss->mean_units)
        << ", worst " << money(static_cast<double>(loss->max_units)) << "\n";
    for (const sim::TailEstimate& t : loss->tails) {
      out << "  " << t.level * 100 << "%: VaR " << money(static_cast<double>(t.var_units)) << " ["
          << money(static_cast<double>(t.var_low_units)) << ", " << money(static_cast<double>(t.var_high_units))
          << "], ES " << money(t.es_units) << " [" << money(t.es_low_units) << ", " << money(t.es_high_units) << "]\n";
    }
  }
  out << "probability of insolvency (socialized or unresolved loss): " << percent(s.insolvent.estimate) << " ["
      << percent(s.insolvent.low) << ", " << percent(s.insolvent.high) << "]\n"
      << "probability bad debt exceeds the starting insurance fund (" << money(static_cast<double>(s.insurance_fund_start_units))
      << "): " << percent(s.fund_exceeded.estimate) << " [" << percent(s.fund_exceeded.low) << ", "
      << percent(s.fund_exceeded.high) << "]\n"
      << "liquidations at risk: p95 volume " << money(static_cast<double>(s.liquidations_at_risk.p95)) << ", p99 "
      << money(static_cast<double>(s.liquidations_at_risk.p99)) << "; liquidations per path p95 "
      << s.liquidation_count.p95 << "; ADL hits p95 " << s.adl_hits.p95 << "\n"
      << "(intervals: " << s.confidence * 100 << "%, bootstrap of " << s.bootstrap_resamples
      << " resamples for VaR/ES, Wilson for probabilities)\n";
}

void print_where(std::ostream& out, const std::string& dir, const sim::RunInfo& run) {
  out << "report: " << dir << "/report.html\nresults: " << dir << "/results.json\nreproduce: " << run.command << "\n";
}

Outcome write_outputs(const std::string& dir, const std::string& json, const std::string& html) {
  std::error_code failed;
  std::filesystem::create_directories(dir, failed);
  if (failed) return make_error(ErrorCode::io, dir + ": cannot create the directory: " + failed.message());
  if (Outcome written = sim::write_text_file(dir + "/results.json", json); !written) return written;
  return sim::write_text_file(dir + "/report.html", html);
}

}  // namespace ballast::cli
