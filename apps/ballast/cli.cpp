#include "cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <vector>

#include "ballast/core/fixed.hpp"

namespace ballast::cli {
namespace {

// Wall-clock time for progress and throughput only; the engine never sees it.
double seconds_now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

const char* system_account_name(AccountId owner) {
  if (owner == kInsuranceFund) return "insurance fund";
  if (owner == kFeePool) return "fee pool";
  if (owner == kTreasury) return "treasury";
  if (owner == kClearing) return "clearing";
  return nullptr;
}

std::string amount_text(const Ledger& ledger, AssetId asset, Amount amount) {
  const Asset* listed = ledger.find_asset(asset);
  return format_decimal(amount.raw(), listed == nullptr ? 0 : listed->decimals);
}

}  // namespace

int report(const Error& error) {
  std::cerr << "ballast: " << error.message << "\n";
  return error.code == ErrorCode::invalid_input || error.code == ErrorCode::not_found
             ? kExitBadInput
             : kExitDomainFailure;
}

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total), terminal_(isatty(STDERR_FILENO) == 1),
      started_s_(seconds_now()) {}

void Progress::update(std::uint64_t done) {
  if (!terminal_ || done < next_redraw_) {
    return;
  }
  next_redraw_ = done + std::max<std::uint64_t>(total_ / 200, 1);
  const double elapsed_s = std::max(seconds_now() - started_s_, 1e-9);
  std::fprintf(stderr, "\r%s %llu/%llu (%3.0f%%, %.2fM/s)   ", label_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
               total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total_),
               static_cast<double>(done) / elapsed_s / 1e6);
  std::fflush(stderr);
}

void Progress::finish() {
  if (terminal_) {
    next_redraw_ = 0;
    update(total_);
    std::fputc('\n', stderr);
  }
}

void print_balances(std::ostream& out, const Ledger& ledger, std::size_t user_rows_max) {
  out << "assets:\n";
  for (const auto& [id, asset] : ledger.assets()) {
    const auto held = checked_sub(asset.deposited, asset.withdrawn);
    out << "  " << std::left << std::setw(8) << asset.symbol << " deposited "
        << format_decimal(asset.deposited.raw(), asset.decimals) << ", withdrawn "
        << format_decimal(asset.withdrawn.raw(), asset.decimals) << ", held "
        << (held ? format_decimal(held->raw(), asset.decimals) : std::string("overflow")) << "\n";
  }
  struct Row {
    const SubAccount* sub_account;
    Amount first_asset_amount;
  };
  std::vector<Row> users;
  out << "system accounts:\n";
  for (const SubAccount* sub_account : ledger.sub_accounts_in_order()) {
    const char* name = system_account_name(sub_account->owner);
    if (name == nullptr) {
      const Amount first = sub_account->balances.empty() ? Amount{}
                                                         : sub_account->balances.front().amount;
      users.push_back({sub_account, first});
      continue;
    }
    out << "  " << name << ":";
    for (const Balance& held : sub_account->balances) {
      out << " " << amount_text(ledger, held.asset, held.amount) << " "
          << ledger.find_asset(held.asset)->symbol;
    }
    out << (sub_account->balances.empty() ? " empty\n" : "\n");
  }
  // Largest first by the lowest-id asset's balance; ties by id, so the listing is deterministic.
  std::sort(users.begin(), users.end(), [](const Row& a, const Row& b) {
    if (a.first_asset_amount != b.first_asset_amount) return a.first_asset_amount > b.first_asset_amount;
    return a.sub_account->id < b.sub_account->id;
  });
  out << "sub-accounts: " << users.size() << " user";
  out << (users.size() > user_rows_max ? ", the largest " + std::to_string(user_rows_max) : "")
      << "\n";
  for (std::size_t i = 0; i < std::min(users.size(), user_rows_max); ++i) {
    const SubAccount* sub_account = users[i].sub_account;
    out << "  " << sub_account->id.value << " (account " << sub_account->owner.value << ", "
        << margin_mode_name(sub_account->mode) << "):";
    for (const Balance& held : sub_account->balances) {
      out << " " << amount_text(ledger, held.asset, held.amount) << " "
          << ledger.find_asset(held.asset)->symbol;
    }
    for (const PositionEntry& held : sub_account->positions) {
      out << " | instrument " << held.instrument.value << ": " << held.position.size.to_string();
    }
    out << "\n";
  }
}

void add_venue_options(CLI::App& command, SampleVenueOptions& venue) {
  command.add_option("--events", venue.activity_events, "activity events after setup");
  command.add_option("--accounts", venue.accounts, "accounts in the venue")
      ->check(CLI::Range(1u, 10'000'000u));
  command.add_option("--seed", venue.seed, "random seed (same seed, same events)");
}

void print_outcomes(std::ostream& out, const std::uint64_t (&counts)[kStatusCount]) {
  std::uint64_t rejected = 0;
  for (std::uint8_t i = 1; i < kStatusCount; ++i) rejected += counts[i];
  out << "events: " << counts[0] << " applied, " << rejected << " rejected\n";
  // The longest status name (liquidation_price_out_of_band) is 29 characters: a column of 31.
  for (const Status status : kStatusPrecedence) {
    const auto i = static_cast<std::uint8_t>(status);
    if (status != Status::ok && counts[i] != 0) {
      out << "  " << std::left << std::setw(31) << status_name(status) << counts[i] << "\n";
    }
  }
}

}  // namespace ballast::cli
