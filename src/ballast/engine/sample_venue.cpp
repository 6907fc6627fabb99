#include "ballast/engine/sample_venue.hpp"

#include <array>

namespace ballast {
namespace {

struct SampleAsset {
  AssetId id;
  const char* symbol;
  std::uint8_t decimals;
};

constexpr std::array<SampleAsset, 3> kAssets{{{AssetId{1}, "USDC", 6},
                                              {AssetId{2}, "BTC", 8},
                                              {AssetId{3}, "ETH", 9}}};
constexpr std::uint64_t kSetupPerAccount = 3;  // create account, cross and isolated sub-account

// The venue funds its own accounts at the start: they are ordinary ledger accounts.
struct SystemFunding {
  AccountId account;
  std::int64_t usdc_whole;
};
constexpr std::array<SystemFunding, 2> kSystemFunding{{{kInsuranceFund, 1'000'000},
                                                       {kTreasury, 250'000}}};

}  // namespace

SampleVenue::SampleVenue(SampleVenueOptions options)
    : options_(options), rng_(options.seed, /*stream=*/0) {
  BALLAST_ASSERT(options_.accounts > 0);
}

std::uint64_t SampleVenue::total() const {
  return kAssets.size() + kSystemFunding.size() + kSetupPerAccount * options_.accounts +
         options_.activity_events;
}

Event SampleVenue::next() {
  BALLAST_ASSERT(!done());
  const std::uint64_t setup_count = total() - options_.activity_events;
  EventBody body = index_ < setup_count ? setup_event(index_) : activity_event();
  return make(std::move(body));
}

Event SampleVenue::make(EventBody body) {
  const auto offset = static_cast<TimestampNs>(index_) * options_.step_ns;
  ++index_;
  // Idempotency ids are the 1-based position in the stream: unique, and easy to retry.
  return Event{EventId{index_}, options_.start_ns + offset, std::move(body)};
}

EventBody SampleVenue::setup_event(std::uint64_t index) const {
  if (index < kAssets.size()) {
    const SampleAsset& asset = kAssets[index];
    return ListAsset{asset.id, asset.symbol, asset.decimals, kAssetFlagsAll};
  }
  if (index < kAssets.size() + kSystemFunding.size()) {
    const SystemFunding& funding = kSystemFunding[index - kAssets.size()];
    const SubAccountId sub_account{funding.account.value};  // each system account has one
    return Deposit{funding.account, sub_account, kAssets[0].id,
                   Amount::from_raw(funding.usdc_whole * pow10_i64(kAssets[0].decimals))};
  }
  const std::uint64_t rest = index - kAssets.size() - kSystemFunding.size();
  const auto account = static_cast<std::uint32_t>(rest / kSetupPerAccount);
  switch (rest % kSetupPerAccount) {
    case 0: return CreateAccount{account_id(account)};
    case 1: return CreateSubAccount{account_id(account), cross_sub_account(account), MarginMode::cross};
    default:
      return CreateSubAccount{account_id(account), isolated_sub_account(account),
                              MarginMode::isolated};
  }
}

Amount SampleVenue::random_amount(AssetId asset, std::uint64_t whole_max) {
  const std::uint8_t decimals = kAssets[asset.value - 1].decimals;
  // Amounts in whole units scaled down for the costlier assets, with a random fraction.
  const std::uint64_t units = 1 + rng_.below(whole_max * static_cast<std::uint64_t>(
                                                             pow10_i64(decimals)));
  return Amount::from_raw(static_cast<std::int64_t>(units));
}

EventBody SampleVenue::activity_event() {
  if (options_.invalid_one_in != 0 && rng_.below(options_.invalid_one_in) == 0) {
    return invalid_event();
  }
  const auto account = static_cast<std::uint32_t>(rng_.below(options_.accounts));
  const AssetId asset = kAssets[rng_.below(kAssets.size())].id;
  const std::uint64_t whole_max = asset.value == 1 ? 10'000 : (asset.value == 2 ? 1 : 10);
  const std::uint64_t roll = rng_.below(100);
  if (roll < 45) {
    return Deposit{account_id(account), cross_sub_account(account), asset,
                   random_amount(asset, whole_max)};
  }
  if (roll < 75) {
    const bool to_isolated = rng_.below(2) == 0;
    const SubAccountId cross = cross_sub_account(account);
    const SubAccountId isolated = isolated_sub_account(account);
    return Transfer{account_id(account), to_isolated ? cross : isolated,
                    to_isolated ? isolated : cross, asset, random_amount(asset, whole_max / 4 + 1)};
  }
  return Withdraw{account_id(account), cross_sub_account(account), asset,
                  random_amount(asset, whole_max / 2 + 1)};
}

EventBody SampleVenue::invalid_event() {
  const auto account = static_cast<std::uint32_t>(rng_.below(options_.accounts));
  const auto other = static_cast<std::uint32_t>((account + 1) % options_.accounts);
  switch (rng_.below(4)) {
    case 0:  // an asset nobody listed
      return Deposit{account_id(account), cross_sub_account(account), AssetId{99},
                     Amount::from_raw(1)};
    case 1:  // someone else's sub-account
      return Withdraw{account_id(account), cross_sub_account(other), AssetId{1},
                      Amount::from_raw(1)};
    case 2:  // nothing to move
      return Transfer{account_id(account), cross_sub_account(account),
                      isolated_sub_account(account), AssetId{1}, Amount{}};
    default:  // far more than anyone holds
      return Withdraw{account_id(account), cross_sub_account(account), AssetId{2},
                      Amount::from_raw(INT64_MAX)};
  }
}

}  // namespace ballast
