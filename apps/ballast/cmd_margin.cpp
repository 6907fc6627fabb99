// ballast margin: the margin of every sub-account of a portfolio under a venue's risk
// configuration (docs/CLI.md): a table by default, one JSON document with --json.

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ballast/margin/venue_config.hpp"
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
      groups.push_back({sub.owner, MarginMode::isolated, {i}});
    }
  }
  return groups;  // in the order of each group's lowest sub-account id
}

std::string money(Money value) { return value.to_string(); }

std::string amount_text(const margin::AssetRisk& asset, Amount amount) {
  return format_decimal(amount.raw(), asset.decimals);
}

// Rows of cells: the first column left-aligned, the rest right-aligned, each as wide as its
// widest cell, two spaces apart.
class Table {
 public:
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
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
  out["mode"] = group.mode == MarginMode::cross ? "cross" : "isolated";
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

int run_margin(const MarginArgs& args) {
  Result<VenueConfig> venue = margin::load_venue_config(args.venue_path);
  if (!venue) return report(venue.error());
  Result<Portfolio> portfolio = margin::load_portfolio(args.portfolio_path, *venue);
  if (!portfolio) return report(portfolio.error());
  const std::vector<Group> groups = groups_of(*portfolio);
  Json document;
  document["venue"] = venue->name;
  Json groups_json = Json::array();
  std::string tables;
  for (const Group& group : groups) {
    Result<Evaluated> evaluated = evaluate_group(*venue, *portfolio, group, args.portfolio_path);
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
  command->add_flag("--json", args->json, "write one JSON document instead of the table");
  return [args] { return run_margin(*args); };
}

}  // namespace ballast::cli
