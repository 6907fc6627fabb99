// ballast margin: the margin of every sub-account of a portfolio under a venue's risk
// configuration (docs/CLI.md): a table by default, one JSON document with --json.

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ballast/engine/options_config.hpp"
#include "ballast/engine/portfolio_margin.hpp"
#include "ballast/margin/venue_config.hpp"
#include "ballast/portfolio/pm_config.hpp"
#include "cli.hpp"

namespace ballast::cli {
namespace {

using Json = nlohmann::ordered_json;
using margin::GroupMargin;
using margin::Portfolio;
using margin::SubAccountBook;
using margin::VenueConfig;

struct MarginArgs {
  std::string venue_path;
  std::string portfolio_path;
  std::string model_path;
  bool json = false;
};

// One margin group: the cross sub-accounts of one owner, or one isolated sub-account.
struct Group {
  AccountId owner;
  MarginMode mode = MarginMode::cross;
  std::vector<std::size_t> members;  // indexes into the portfolio's sub-accounts, by id
};

std::vector<Group> groups_of(const Portfolio& portfolio) {
  std::vector<Group> groups;
  std::map<std::uint64_t, std::size_t> cross_group_of_owner;
  for (std::size_t i = 0; i < portfolio.sub_accounts.size(); ++i) {
    const SubAccountBook& sub = portfolio.sub_accounts[i];
    if (sub.mode == MarginMode::cross) {
      const auto [it, added] = cross_group_of_owner.emplace(sub.owner.value, groups.size());
      if (added) groups.push_back({sub.owner, MarginMode::cross, {}});
      groups[it->second].members.push_back(i);
    } else {
      groups.push_back({sub.owner, sub.mode, {i}});
    }
  }
  return groups;  // in the order of each group's lowest sub-account id
}

std::string money(Money value) { return value.to_string(); }

// A double amount of quote money as Money text, rounded up (requirements and add-ons).
std::string money_up(double value) {
  const auto rounded = Money::from_double(value, Round::up);
  return rounded ? rounded->to_string() : std::string("overflow");
}

std::string amount_text(const margin::AssetRisk& asset, Amount amount) {
  return format_decimal(amount.raw(), asset.decimals);
}

// Rows of cells: the first column left-aligned, the rest right-aligned, each as wide as its
// widest cell, two spaces apart.
class Table {
 public:
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out, const std::string& indent) const {
    std::vector<std::size_t> widths;
    for (const auto& cells : rows_) {
      widths.resize(std::max(widths.size(), cells.size()));
      for (std::size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], cells[i].size());
    }
    for (const auto& cells : rows_) {
      out << indent;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i == 0) {
          out << std::left << std::setw(static_cast<int>(widths[i])) << cells[i];
        } else {
          out << "  " << std::right << std::setw(static_cast<int>(widths[i])) << cells[i];
        }
      }
      out << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

struct Evaluated {
  Json json;
  std::string table;
};

// The group's figures as JSON (exact decimal strings) and as a table.
Result<Evaluated> evaluate_group(const VenueConfig& venue, const Portfolio& portfolio, const Group& group,
                                 const std::string& portfolio_path) {
  std::vector<SubAccountBook> books;
  for (std::size_t i : group.members) books.push_back(portfolio.sub_accounts[i]);
  const margin::MarginOutcome outcome = margin::evaluate(venue.risk, portfolio.prices, books);
  if (outcome.status != margin::MarginStatus::ok) {
    return make_error(ErrorCode::invalid_input,
                      portfolio_path + ": sub-account " + std::to_string(books.front().id.value) + ": " +
                          margin::margin_status_name(outcome.status) + ": " + outcome.where);
  }
  const GroupMargin& m = outcome.margin;
  Json out;
  out["owner"] = group.owner.value;
  out["mode"] = margin_mode_name(group.mode);
  out["equity"] = money(m.equity);
  out["initial_collateral"] = money(m.initial_collateral);
  out["maintenance_collateral"] = money(m.maintenance_collateral);
  out["initial_requirement"] = money(m.initial_requirement);
  out["maintenance_requirement"] = money(m.maintenance_requirement);
  out["initial_health"] = money(m.initial_health());
  out["maintenance_health"] = money(m.maintenance_health());
  out["free_collateral"] = money(m.free_collateral());
  out["liquidatable"] = m.liquidatable();

  std::ostringstream table;
  table << (group.mode == MarginMode::cross ? "cross group of owner " : "isolated, owner ") << group.owner.value
        << ": sub-account" << (books.size() > 1 ? "s" : "");
  for (const SubAccountBook& book : books) table << " " << book.id.value;
  table << (m.liquidatable() ? "   ** LIQUIDATABLE **" : "") << "\n";
  Table summary;
  summary.row({"", "initial", "maintenance"});
  summary.row({"collateral", money(m.initial_collateral), money(m.maintenance_collateral)});
  summary.row({"requirement", money(m.initial_requirement), money(m.maintenance_requirement)});
  summary.row({"health", money(m.initial_health()), money(m.maintenance_health())});
  summary.row({"equity", money(m.equity)});
  summary.row({"free collateral", money(m.free_collateral())});
  summary.print(table, "  ");

  Json subs = Json::array();
  for (std::size_t k = 0; k < books.size(); ++k) {
    const SubAccountBook& book = books[k];
    const margin::SubAccountMargin& sm = m.sub_accounts[k];
    const std::string& label = portfolio.labels[group.members[k]];
    Json sub;
    sub["id"] = book.id.value;
    if (!label.empty()) sub["label"] = label;
    table << "  sub-account " << book.id.value << (label.empty() ? "" : " (" + label + ")") << "\n";
    Json balances = Json::array();
    Table rows;
    if (!sm.balances.empty()) rows.row({"balance", "amount", "value", "init coll.", "maint coll.", "withdrawable"});
    for (std::size_t b = 0; b < sm.balances.size(); ++b) {
      const margin::BalanceMargin& bm = sm.balances[b];
      const margin::AssetRisk& asset = *venue.risk.find_asset(bm.asset);
      const Amount withdrawable = margin::max_withdrawable(venue.risk, portfolio.prices, m, book, bm.asset);
      Json balance;
      balance["asset"] = asset.symbol;
      balance["amount"] = amount_text(asset, book.balances[b].amount);
      balance["value"] = money(bm.value);
      balance["initial_collateral"] = money(bm.initial_collateral);
      balance["maintenance_collateral"] = money(bm.maintenance_collateral);
      balance["max_withdrawable"] = amount_text(asset, withdrawable);
      balances.push_back(std::move(balance));
      rows.row({asset.symbol, amount_text(asset, book.balances[b].amount), money(bm.value),
                money(bm.initial_collateral), money(bm.maintenance_collateral), amount_text(asset, withdrawable)});
    }
    rows.print(table, "    ");
    Json positions = Json::array();
    Table position_rows;
    if (!sm.positions.empty()) {
      position_rows.row({"position", "size", "notional", "value", "uPnL", "IM", "MM", "liq. price"});
    }
    for (const margin::PositionMargin& pm : sm.positions) {
      const margin::MarketRisk& market = *venue.risk.find_market(pm.instrument);
      const std::string liquidation = pm.liquidation_price ? pm.liquidation_price->to_string() : "-";
      Json position;
      position["market"] = market.instrument.symbol;
      position["kind"] = market::instrument_kind_name(market.instrument.kind);
      position["size"] = pm.size.to_string();
      position["notional"] = money(pm.notional);
      position["value"] = money(pm.value);
      position["pending_funding"] = money(pm.pending_funding);
      position["unrealized_pnl"] = money(pm.unrealized_pnl);
      position["initial_collateral"] = money(pm.initial_collateral);
      position["maintenance_collateral"] = money(pm.maintenance_collateral);
      position["initial_requirement"] = money(pm.initial_requirement);
      position["maintenance_requirement"] = money(pm.maintenance_requirement);
      position["liquidation_price"] = pm.liquidation_price ? Json(liquidation) : Json(nullptr);
      positions.push_back(std::move(position));
      position_rows.row({market.instrument.symbol, pm.size.to_string(), money(pm.notional), money(pm.value),
                         money(pm.unrealized_pnl), money(pm.initial_requirement), money(pm.maintenance_requirement),
                         liquidation});
    }
    position_rows.print(table, "    ");
    sub["balances"] = std::move(balances);
    sub["positions"] = std::move(positions);
    subs.push_back(std::move(sub));
  }
  out["sub_accounts"] = std::move(subs);
  return Evaluated{std::move(out), table.str()};
}

// What a risk-matrix position is, for people: the market's symbol, or the asset's for a balance.
std::string position_name(const VenueConfig& venue, std::uint64_t id) {
  if ((id & kPortfolioBalanceIdBase) != 0) {
    return venue.risk.find_asset(AssetId{static_cast<std::uint32_t>(id & ~kPortfolioBalanceIdBase)})->symbol;
  }
  return venue.risk.find_market(InstrumentId{static_cast<std::uint32_t>(id)})->instrument.symbol;
}

// Where the worst loss comes from, in words: "BTC scenario 3: spot -16%, vol up".
std::string worst_text(const portfolio::Model& model, const portfolio::Worst& worst) {
  const std::string symbol = model.underlying(worst.underlying).symbol;
  std::ostringstream out;
  switch (worst.kind) {
    case portfolio::WorstKind::none: return "none (no scenario loses)";
    case portfolio::WorstKind::basis: return symbol + " basis floor";
    case portfolio::WorstKind::floor: return "no-offset floor across underlyings";
    case portfolio::WorstKind::scenario: {
      const portfolio::Scenario& s = model.scenarios(worst.underlying)[worst.scenario];
      out << symbol << " scenario " << worst.scenario << ": spot " << std::showpos << std::setprecision(4)
          << s.spot_move * 100 << std::noshowpos << "%, vol " << portfolio::vol_level_name(s.vol);
      return out.str();
    }
  }
  return {};
}

// A portfolio sub-account: equity and the risk matrix's requirements, the worst scenario, the
// add-ons, and each position's Euler contribution to IM and MM (summing to them exactly).
Result<Evaluated> evaluate_portfolio_group(const VenueConfig& venue, const PortfolioVenue& pm, const Portfolio& portfolio,
                                           const Group& group, const std::string& portfolio_path) {
  const SubAccountBook& book = portfolio.sub_accounts[group.members.front()];
  const std::string where = portfolio_path + ": sub-account " + std::to_string(book.id.value) + ": ";
  const bool dated = std::any_of(book.positions.begin(), book.positions.end(), [&](const margin::HeldPosition& h) {
    return venue.risk.find_market(h.instrument)->instrument.has_expiry();
  });
  if (dated && !portfolio.as_of) {
    return make_error(ErrorCode::invalid_input, where + "portfolio margin of dated positions needs \"as_of\"");
  }
  portfolio::RiskMatrix matrix(pm.model());
  const PortfolioOutcome outcome =
      evaluate_portfolio(pm, venue.risk, portfolio.prices, book, portfolio.as_of.value_or(0), matrix);
  if (outcome.status != Status::ok) {
    return make_error(ErrorCode::invalid_input, where + std::string(status_name(outcome.status)) + ": " +
                                                    std::string(status_message(outcome.status)));
  }
  const PortfolioFigures& f = outcome.figures;
  const portfolio::MarginReport& report = matrix.report();
  Json out;
  out["owner"] = group.owner.value;
  out["mode"] = "portfolio";
  out["equity"] = money(f.equity);
  out["initial_requirement"] = money(f.initial_requirement);
  out["maintenance_requirement"] = money(f.maintenance_requirement);
  out["initial_health"] = money(f.initial_health);
  out["maintenance_health"] = money(f.maintenance_health);
  out["free_collateral"] = money(std::max(f.initial_health, Money{}));
  out["liquidatable"] = f.liquidatable();
  out["scenario_loss"] = money_up(report.scenario_loss);
  out["worst"] = worst_text(pm.model(), report.worst);

  const std::string label = portfolio.labels[group.members.front()];
  std::ostringstream table;
  table << "portfolio, owner " << group.owner.value << ": sub-account " << book.id.value
        << (label.empty() ? "" : " (" + label + ")") << (f.liquidatable() ? "   ** LIQUIDATABLE **" : "") << "\n";
  Table summary;
  summary.row({"", "initial", "maintenance"});
  summary.row({"requirement", money(f.initial_requirement), money(f.maintenance_requirement)});
  summary.row({"health", money(f.initial_health), money(f.maintenance_health)});
  summary.row({"equity", money(f.equity)});
  summary.row({"worst scenario loss", money_up(report.scenario_loss)});
  summary.print(table, "  ");
  table << "  worst: " << worst_text(pm.model(), report.worst) << "\n";

  Json add_ons = Json::object();
  Table add_on_rows;
  for (std::size_t a = 0; a < portfolio::kAddOnCount; ++a) {
    const portfolio::Amounts& amounts = report.add_ons[a];
    if (amounts.initial == 0 && amounts.maintenance == 0) continue;
    const char* name = portfolio::add_on_name(static_cast<portfolio::AddOn>(a));
    add_ons[name] = {{"initial", money_up(amounts.initial)}, {"maintenance", money_up(amounts.maintenance)}};
    if (add_on_rows.empty()) add_on_rows.row({"add-on", "initial", "maintenance"});
    add_on_rows.row({name, money_up(amounts.initial), money_up(amounts.maintenance)});
  }
  out["add_ons"] = std::move(add_ons);
  add_on_rows.print(table, "    ");

  std::vector<portfolio::Contribution> initial;
  std::vector<portfolio::Contribution> maintenance;
  matrix.attribution(portfolio::Requirement::initial, initial);
  matrix.attribution(portfolio::Requirement::maintenance, maintenance);
  Json attribution = Json::array();
  Table rows;
  if (!initial.empty()) rows.row({"position", "size", "IM share", "MM share"});
  const auto positions = matrix.positions();
  for (std::size_t k = 0; k < initial.size(); ++k) {
    const std::string name = position_name(venue, initial[k].id);
    std::ostringstream size;
    size << positions[k].size;
    attribution.push_back({{"position", name},
                           {"size", size.str()},
                           {"initial", money(initial[k].amount)},
                           {"maintenance", money(maintenance[k].amount)}});
    rows.row({name, size.str(), money(initial[k].amount), money(maintenance[k].amount)});
  }
  out["attribution"] = std::move(attribution);
  rows.print(table, "    ");
  return Evaluated{std::move(out), table.str()};
}

int run_margin(const MarginArgs& args) {
  // The whole venue file, its engine tables checked too: a venue file is valid or not as a whole.
  Result<VenueFile> file = load_venue_file(args.venue_path);
  if (!file) return report(file.error());
  const VenueConfig* venue = &file->venue;
  Result<Portfolio> portfolio = margin::load_portfolio(args.portfolio_path, *venue);
  if (!portfolio) return report(portfolio.error());
  const std::vector<Group> groups = groups_of(*portfolio);
  std::optional<PortfolioVenue> pm;
  if (!args.model_path.empty()) {
    auto config = portfolio::load_portfolio_model(args.model_path);
    if (!config) return report(config.error());
    auto bound = PortfolioVenue::make(config->config(), venue->risk);
    if (!bound) return report(make_error(ErrorCode::invalid_input, args.model_path + ": " + bound.error().message));
    pm = std::move(*bound);
  }
  Json document;
  document["venue"] = venue->name;
  Json groups_json = Json::array();
  std::string tables;
  for (const Group& group : groups) {
    if (group.mode == MarginMode::portfolio && !pm) {
      return report(make_error(ErrorCode::invalid_input,
                               args.portfolio_path + ": sub-account " +
                                   std::to_string(portfolio->sub_accounts[group.members.front()].id.value) +
                                   ": mode portfolio needs --portfolio-model"));
    }
    Result<Evaluated> evaluated = group.mode == MarginMode::portfolio
                                      ? evaluate_portfolio_group(*venue, *pm, *portfolio, group, args.portfolio_path)
                                      : evaluate_group(*venue, *portfolio, group, args.portfolio_path);
    if (!evaluated) return report(evaluated.error());
    groups_json.push_back(std::move(evaluated->json));
    tables += "\n" + evaluated->table;
  }
  document["groups"] = std::move(groups_json);
  if (args.json) {
    std::cout << document.dump(2) << '\n';
  } else {
    std::cout << "venue " << (venue->name.empty() ? args.venue_path : venue->name) << ", "
              << portfolio->sub_accounts.size() << " sub-accounts in " << groups.size()
              << " margin groups (quote " << venue->quote_asset().symbol << ")\n"
              << tables;
  }
  std::cout.flush();
  if (!std::cout) return report(make_error(ErrorCode::io, "standard output: write failed"));
  return kExitOk;
}

}  // namespace

Runner add_margin(CLI::App& app) {
  auto args = std::make_shared<MarginArgs>();
  CLI::App* command = app.add_subcommand(
      "margin",
      "Margin of a portfolio under a venue's risk configuration: per margin group (the cross "
      "sub-accounts of one owner, or one isolated sub-account) equity, collateral, requirements, "
      "health and free collateral; per balance and position its contribution, liquidation price "
      "and maximum withdrawable (docs/CLI.md). A table by default, JSON with --json.");
  command->add_option("--venue", args->venue_path, "venue risk configuration (TOML), e.g. configs/venue-default.toml")
      ->required();
  command->add_option("--portfolio", args->portfolio_path, "prices and sub-accounts (JSON)")->required();
  command->add_option("--portfolio-model", args->model_path,
                      "portfolio-margin model (TOML), e.g. configs/portfolio-deribit.toml: margins the "
                      "sub-accounts in mode portfolio, with each position's share of IM and MM");
  command->add_flag("--json", args->json, "write one JSON document instead of the table");
  return [args] { return run_margin(*args); };
}

}  // namespace ballast::cli
