#include "ballast/portfolio/pm_config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>
#include <utility>
#include <vector>

namespace ballast::portfolio {
namespace {

// Thrown inside the reader, caught at its entry: nested lookups need no error plumbing.
struct ConfigError {
  std::string message;
};

// One table: what was read, so the rest can be reported as unknown keys.
class Table {
 public:
  Table(const toml::table& table, std::string source, std::string where)
      : table_(table), source_(std::move(source)), where_(std::move(where)) {}

  [[noreturn]] void fail(const toml::node* node, std::string_view key, const std::string& what) const {
    const toml::source_region& region = node != nullptr ? node->source() : table_.source();
    std::string message = source_ + ":" + std::to_string(region.begin.line) + ": ";
    if (!where_.empty()) message += where_ + ": ";
    throw ConfigError{message + std::string(key) + ": " + what};
  }

  const toml::node* find(std::string_view key) {
    used_.emplace(key);
    return table_.get(key);
  }

  void number(std::string_view key, double& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    if (const auto v = node->value<double>(); v && (node->is_floating_point() || node->is_integer())) {
      out = *v;
      return;
    }
    fail(node, key, "must be a number");
  }

  void integer(std::string_view key, int& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto v = node->value<std::int64_t>();
    if (!node->is_integer() || !v || *v < -1000000 || *v > 1000000) fail(node, key, "must be an integer");
    out = static_cast<int>(*v);
  }

  void flag(std::string_view key, bool& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    if (!node->is_boolean()) fail(node, key, "must be true or false");
    out = *node->value<bool>();
  }

  std::string text(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr || !node->is_string()) fail(node, key, node == nullptr ? "is missing" : "must be a string");
    return *node->value<std::string>();
  }

  std::vector<double> numbers(std::string_view key) {
    std::vector<double> out;
    const toml::node* node = find(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(node, key, "must be an array of numbers");
    for (const toml::node& item : *array) {
      const auto v = item.value<double>();
      if (!v || !(item.is_floating_point() || item.is_integer())) fail(&item, key, "must be an array of numbers");
      out.push_back(*v);
    }
    return out;
  }

  // A sub-table, or nullptr when absent.
  const toml::table* table(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(node, key, "must be a table");
    return node->as_table();
  }

  void rename(std::string where) { where_ = std::move(where); }

  Table sub(const toml::table& table, std::string_view key) const {
    return Table(table, source_, where_.empty() ? std::string(key) : where_ + "." + std::string(key));
  }

  void finish() const {
    for (const auto& [key, node] : table_) {
      if (used_.count(std::string(key.str())) == 0) fail(&node, key.str(), "unknown key");
    }
  }

 private:
  const toml::table& table_;
  std::string source_;
  std::string where_;
  std::set<std::string, std::less<>> used_;
};

void read_factors(Table& parent, std::string_view key, Factors& out) {
  const toml::table* t = parent.table(key);
  if (t == nullptr) return;
  Table table = parent.sub(*t, key);
  table.number("initial", out.initial);
  table.number("maintenance", out.maintenance);
  table.finish();
}

void read_tails(Table& grid, GridSpec& out) {
  const std::vector<double> moves = grid.numbers("tail_moves");
  const std::vector<double> weights = grid.numbers("tail_weights");
  double numerator = 0;
  grid.number("tail_weight_numerator", numerator);
  if (!weights.empty() && weights.size() != moves.size()) {
    grid.fail(grid.find("tail_weights"), "tail_weights", "must have one weight per tail move");
  }
  if (weights.empty() && !moves.empty() && numerator == 0) {
    grid.fail(grid.find("tail_moves"), "tail_moves", "needs tail_weights or tail_weight_numerator");
  }
  out.tails = weights.empty() ? tails_over_move(moves, numerator) : std::vector<TailMove>{};
  for (std::size_t i = 0; i < weights.size(); ++i) out.tails.push_back({moves[i], weights[i]});
}

void read_grid(Table& parent, GridSpec& out) {
  const toml::table* t = parent.table("grid");
  if (t == nullptr) return;
  Table grid = parent.sub(*t, "grid");
  grid.number("range", out.range);
  grid.integer("steps", out.steps);
  grid.flag("vol_up", out.vol_up);
  grid.flag("vol_down", out.vol_down);
  grid.flag("edges_vol_up_only", out.edges_vol_up_only);
  grid.flag("skew", out.skew);
  read_tails(grid, out);
  grid.finish();
}

// A table of plain numbers bound to fields; `enabled` is set when the table is present.
void read_numbers(Table& parent, std::string_view key, std::initializer_list<std::pair<const char*, double*>> fields,
                  bool* enabled = nullptr) {
  const toml::table* t = parent.table(key);
  if (t == nullptr) return;
  if (enabled != nullptr) *enabled = true;
  Table table = parent.sub(*t, key);
  for (const auto& [name, field] : fields) table.number(name, *field);
  table.finish();
}

void read_vol_and_skew(Table& u, UnderlyingConfig& out) {
  pricing::VolShockParams& v = out.vol;
  read_numbers(u, "vol", {{"range_up", &v.range_up}, {"range_down", &v.range_down}, {"min_vol_up", &v.min_vol_up},
                          {"short_term_power", &v.short_term_power}, {"long_term_power", &v.long_term_power},
                          {"pivot_days", &v.pivot_days}, {"dte_floor_days", &v.dte_floor_days}});
  SkewParams& s = out.skew;
  read_numbers(u, "skew", {{"linear_base_cap", &s.linear_base_cap}, {"linear_c_base", &s.linear_c_base},
                           {"abs_base_cap", &s.abs_base_cap}, {"abs_c_base", &s.abs_c_base},
                           {"min_k_star", &s.min_k_star}, {"width_scale", &s.width_scale},
                           {"vol_param_static", &s.vol_param_static}, {"vol_param_scale", &s.vol_param_scale}});
}

void read_contingencies(Table& u, UnderlyingConfig& out) {
  StaticDiscount& d = out.discount;
  read_numbers(u, "discount",
               {{"positive_base", &d.positive_base}, {"positive_rate_scale", &d.positive_rate_scale},
                {"positive_rate_add", &d.positive_rate_add}, {"negative_base", &d.negative_base},
                {"negative_rate_scale", &d.negative_rate_scale}, {"negative_rate_add", &d.negative_rate_add}},
               &d.enabled);
  BasisFloor& b = out.basis;
  read_numbers(u, "basis", {{"spot_up", &b.spot_up}, {"spot_down", &b.spot_down}, {"add_factor", &b.add_factor},
                            {"per_year_factor", &b.per_year_factor}},
               &b.enabled);
  read_numbers(u, "roll", {{"annual_move_risk", &out.roll.annual_move_risk}, {"min_move", &out.roll.min_move}});
  DeltaLiquidity& l = out.delta_liquidity;
  read_numbers(u, "delta_liquidity", {{"threshold", &l.threshold}, {"rate_per_million", &l.rate_per_million},
                                      {"max_rate", &l.max_rate}});
  read_factors(u, "naked_short", out.naked_short);
  read_factors(u, "perpetual", out.perpetual);
  read_factors(u, "haircut", out.haircut);
  Liquidity& q = out.liquidity;
  read_numbers(u, "liquidity", {{"half_spread", &q.half_spread}, {"impact", &q.impact}, {"depth", &q.depth}});
}

UnderlyingConfig read_underlying(Table& u) {
  UnderlyingConfig out;
  out.symbol = u.text("symbol");
  u.rename("underlying " + out.symbol);
  if (const toml::node* node = u.find("dynamics"); node != nullptr) {
    const std::string dynamics = node->value<std::string>().value_or("");
    if (dynamics == "sticky_moneyness") {
      out.dynamics = pricing::SmileDynamics::sticky_moneyness;
    } else if (dynamics != "sticky_strike") {
      u.fail(node, "dynamics", "must be \"sticky_strike\" or \"sticky_moneyness\"");
    }
  }
  read_grid(u, out.grid);
  read_vol_and_skew(u, out);
  read_contingencies(u, out);
  u.finish();
  return out;
}

std::vector<double> read_correlation(Table& cross, std::size_t count) {
  std::vector<double> out;
  const toml::node* node = cross.find("correlation");
  if (node == nullptr) return out;
  const toml::array* rows = node->as_array();
  if (rows == nullptr || rows->size() != count) cross.fail(node, "correlation", "must be one row per underlying");
  for (const toml::node& row : *rows) {
    const toml::array* cells = row.as_array();
    if (cells == nullptr || cells->size() != count) cross.fail(&row, "correlation", "each row needs one number per underlying");
    for (const toml::node& cell : *cells) {
      const auto v = cell.value<double>();
      if (!v || !(cell.is_floating_point() || cell.is_integer())) cross.fail(&cell, "correlation", "must hold numbers");
      out.push_back(*v);
    }
  }
  return out;
}

PortfolioConfig read_root(const toml::table& root, const std::string& source) {
  Table top(root, source, "");
  PortfolioConfig out;
  read_factors(top, "loss", out.loss);
  if (const toml::node* node = top.find("underlying"); node != nullptr) {
    const toml::array* array = node->as_array();
    if (array == nullptr || !array->is_array_of_tables()) top.fail(node, "underlying", "must be [[underlying]] tables");
    for (const toml::node& item : *array) {
      Table u(*item.as_table(), source, "underlying " + std::to_string(out.underlyings.size()));
      out.underlyings.push_back(read_underlying(u));
    }
  }
  if (const toml::table* t = top.table("cross"); t != nullptr) {
    Table cross = top.sub(*t, "cross");
    cross.number("gain_weight", out.cross.gain_weight);
    cross.number("max_offset", out.cross.max_offset);
    out.correlation = read_correlation(cross, out.underlyings.size());
    cross.finish();
  }
  top.finish();
  return out;
}

}  // namespace

Result<PortfolioConfig> parse_portfolio_config(std::string_view text, const std::string& source) {
  try {
    const toml::table root = toml::parse(text, source);
    return read_root(root, source);
  } catch (const toml::parse_error& error) {
    return make_error(ErrorCode::invalid_input, source + ":" + std::to_string(error.source().begin.line) + ": " +
                                                    std::string(error.description()));
  } catch (const ConfigError& error) {
    return make_error(ErrorCode::invalid_input, error.message);
  }
}

Result<Model> read_portfolio_model(std::string_view text, const std::string& source) {
  Result<PortfolioConfig> config = parse_portfolio_config(text, source);
  if (!config) return std::move(config).error();
  Result<Model> model = Model::make(std::move(config).value());
  if (!model) return make_error(ErrorCode::invalid_input, source + ": " + model.error().message);
  return model;
}

Result<Model> load_portfolio_model(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(ErrorCode::not_found, path + ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  return read_portfolio_model(text.str(), path);
}

}  // namespace ballast::portfolio
