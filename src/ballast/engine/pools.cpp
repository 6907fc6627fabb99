#include "ballast/engine/pools.hpp"

#include <algorithm>
#include <string>

#include "ballast/core/assert.hpp"
#include "ballast/engine/engine_parts.hpp"

namespace ballast {
namespace {

Error pool_error(std::size_t index, AssetId asset, const std::string& what) {
  return make_error(ErrorCode::invalid_input,
                    "pools[" + std::to_string(index) + "] (asset " + std::to_string(asset.value) + "): " + what);
}

// Each borrower's charge at the period's growth g (10^-18): ⌈|b| × g⌉, as postings; their sum.
std::optional<int128> charge_borrowers(const std::vector<std::pair<SubAccountId, std::int64_t>>& borrowers,
                                       int128 growth, AssetId asset, std::vector<Posting>& out) {
  int128 paid = 0;
  for (const auto& [sub_account, owed] : borrowers) {
    const auto charge = lending::value_of(owed, growth, Round::up);
    if (!charge || *charge > INT64_MAX) return std::nullopt;
    if (*charge == 0) continue;
    out.push_back({sub_account, asset, Amount::from_raw(-static_cast<std::int64_t>(*charge))});
    paid += *charge;
  }
  return paid;
}

// Each supplier's share of `pot`, ⌊pot × s / S⌋, as postings; their sum.
std::optional<int128> credit_suppliers(const std::vector<std::pair<SubAccountId, std::int64_t>>& suppliers,
                                       int128 supplied, int128 pot, AssetId asset, std::vector<Posting>& out) {
  int128 earned = 0;
  if (supplied == 0 || pot == 0) return earned;
  for (const auto& [sub_account, held] : suppliers) {
    int128 product = 0;
    if (__builtin_mul_overflow(pot, static_cast<int128>(held), &product)) return std::nullopt;
    const int128 credit = product / supplied;  // down
    if (credit == 0) continue;
    out.push_back({sub_account, asset, Amount::from_raw(static_cast<std::int64_t>(credit))});
    earned += credit;
  }
  return earned;
}

// ⌈rise × 10^18 / index⌉ (rise >= 0, index > 0) by long division in two steps of 10^9, each
// remainder below the index: rise × 10^18 itself leaves 128 bits once rise passes 170 × 10^18,
// which an index grown tenfold reaches over an interval that grows debt 17-fold (a pool at 100%
// for a year at 300%). nullopt only past an index grown 10^11-fold.
std::optional<int128> growth_up(int128 rise, int128 index) {
  constexpr int128 kStep = 1'000'000'000;
  int128 quotient = rise / index;
  int128 rest = rise % index;
  for (int step = 0; step < 2; ++step) {
    if (__builtin_mul_overflow(rest, kStep, &rest) || __builtin_mul_overflow(quotient, kStep, &quotient)) {
      return std::nullopt;
    }
    quotient += rest / index;
    rest %= index;
  }
  return quotient + (rest > 0 ? 1 : 0);
}

void encode_ratio(ByteWriter& out, Ratio value) { out.i64(value.raw()); }

std::optional<Ratio> decode_ratio(ByteReader& in) {
  const auto raw = in.i64();
  return raw ? std::optional<Ratio>(Ratio::from_raw(*raw)) : std::nullopt;
}

void encode_config(ByteWriter& out, const lending::PoolConfig& config) {
  const auto points = config.curve.points();
  out.u8(static_cast<std::uint8_t>(points.size()));
  for (const lending::RatePoint& point : points) {
    encode_ratio(out, point.utilization);
    encode_ratio(out, point.rate);
  }
  encode_ratio(out, config.curve.min_rate());
  out.u8(config.adaptive ? 1 : 0);
  if (config.adaptive) {
    encode_ratio(out, config.adaptive->target_utilization);
    encode_ratio(out, config.adaptive->adjustment);
    encode_ratio(out, config.adaptive->max_scaling);
  }
  encode_ratio(out, config.reserve_factor);
  out.u8(static_cast<std::uint8_t>(config.reserves_to));
  out.i64(config.supply_cap.raw());
  out.i64(config.borrow_cap.raw());
}

// The configuration, or an error naming the part that is truncated or refused.
Result<lending::PoolConfig> decode_config(ByteReader& in) {
  const auto count = in.u8();
  if (!count || *count > lending::RateCurve::kMaxPoints) return make_error(ErrorCode::corrupt, "bad curve point count");
  std::vector<lending::RatePoint> points(*count);
  for (lending::RatePoint& point : points) {
    const auto utilization = decode_ratio(in);
    const auto rate = decode_ratio(in);
    if (!utilization || !rate) return make_error(ErrorCode::corrupt, "truncated curve");
    point = {*utilization, *rate};
  }
  const auto min_rate = decode_ratio(in);
  if (!min_rate) return make_error(ErrorCode::corrupt, "truncated curve");
  Result<lending::RateCurve> curve = lending::RateCurve::make(points, *min_rate);
  if (!curve) return make_error(ErrorCode::corrupt, curve.error().message);
  lending::PoolConfig config{*curve};
  const auto adaptive = in.u8();
  if (!adaptive || *adaptive > 1) return make_error(ErrorCode::corrupt, "bad adaptive flag");
  if (*adaptive == 1) {
    const auto target = decode_ratio(in);
    const auto adjustment = decode_ratio(in);
    const auto max_scaling = decode_ratio(in);
    if (!target || !adjustment || !max_scaling) return make_error(ErrorCode::corrupt, "truncated adaptive scaling");
    config.adaptive = lending::AdaptiveScaling{*target, *adjustment, *max_scaling};
  }
  const auto reserve_factor = decode_ratio(in);
  const auto reserves_to = in.u8();
  const auto supply_cap = in.i64();
  const auto borrow_cap = in.i64();
  if (!reserve_factor || !reserves_to || !supply_cap || !borrow_cap) {
    return make_error(ErrorCode::corrupt, "truncated pool parameters");
  }
  if (*reserves_to > static_cast<std::uint8_t>(lending::ReservesDestination::treasury)) {
    return make_error(ErrorCode::corrupt, "bad reserves destination");
  }
  config.reserve_factor = *reserve_factor;
  config.reserves_to = static_cast<lending::ReservesDestination>(*reserves_to);
  config.supply_cap = Amount::from_raw(*supply_cap);
  config.borrow_cap = Amount::from_raw(*borrow_cap);
  return config;
}

}  // namespace

Outcome validate_pools(const std::vector<AssetPool>& pools, const margin::RiskConfig& risk) {
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const AssetPool& pool = pools[i];
    if (risk.find_asset(pool.asset) == nullptr) return pool_error(i, pool.asset, "not an asset of the risk configuration");
    if (i > 0 && !(pools[i - 1].asset < pool.asset)) return pool_error(i, pool.asset, "pools must be sorted by asset, once each");
    if (Outcome valid = lending::validate(pool.config); !valid) return pool_error(i, pool.asset, valid.error().message);
  }
  return Ok{};
}

const AssetPool* find_pool(const std::vector<AssetPool>& pools, AssetId asset) {
  const auto found = std::lower_bound(pools.begin(), pools.end(), asset,
                                      [](const AssetPool& pool, AssetId id) { return pool.asset < id; });
  return found != pools.end() && found->asset == asset ? &*found : nullptr;
}

std::size_t pool_slot(const std::vector<AssetPool>& pools, AssetId asset) {
  const AssetPool* pool = find_pool(pools, asset);
  BALLAST_ASSERT(pool != nullptr);
  return static_cast<std::size_t>(pool - pools.data());
}

SubAccountId reserves_sub_account(const lending::PoolConfig& config) {
  const AccountId to =
      config.reserves_to == lending::ReservesDestination::insurance_fund ? kInsuranceFund : kTreasury;
  return SubAccountId{to.value};
}

int128 written_off_units(const Ledger& ledger, AssetId asset) {
  return detail::negative_part(ledger.balance(detail::kBadDebtSub, asset).raw());
}

Ratio pool_utilization(const PoolFigures& figures) {
  BALLAST_ASSERT(figures.deposit_units >= 0 && figures.borrow_units >= 0 && figures.written_off_units >= 0);
  return lending::utilization(figures.borrow_units, std::max<int128>(figures.cash(), 0), Round::up);
}

InterestPlan plan_interest(const Ledger& ledger, const AssetPool& pool, const PoolState& state, TimestampNs now_ns) {
  BALLAST_ASSERT(now_ns >= state.accrued_ns);
  InterestPlan plan;
  plan.next = state;
  plan.next.accrued_ns = now_ns;
  std::vector<std::pair<SubAccountId, std::int64_t>> borrowers;
  std::vector<std::pair<SubAccountId, std::int64_t>> suppliers;
  int128 supplied = 0;
  int128 borrowed = 0;
  for (const SubAccountId holder : ledger.balance_holders_of(pool.asset)) {
    if (holder.value < kFirstUserId) continue;
    const std::int64_t held = ledger.balance(holder, pool.asset).raw();
    if (held > 0) {
      suppliers.emplace_back(holder, held);
      supplied += held;
    } else if (held < 0) {
      borrowers.emplace_back(holder, detail::magnitude(held));
      borrowed += detail::magnitude(held);
    }
  }
  const lending::PoolConfig& config = pool.config;
  plan.next.utilization = pool_utilization({supplied, borrowed, written_off_units(ledger, pool.asset)});
  plan.next.borrow_rate = lending::scaled_rate(config.curve.rate_at(plan.next.utilization), state.scaling);
  if (config.adaptive) {
    plan.next.scaling = lending::adapt_scaling(*config.adaptive, state.scaling, plan.next.utilization);
  }
  // The first accrual starts the clock: no interval yet.
  if (state.accrued_ns == 0) return plan;
  const auto index = lending::grow_index_up(state.borrow_index, plan.next.borrow_rate,
                                            static_cast<int128>(now_ns) - state.accrued_ns);
  const auto growth = index ? growth_up(*index - state.borrow_index, state.borrow_index) : std::nullopt;
  if (!growth) {
    plan.status = Status::balance_overflow;
    return plan;
  }
  plan.next.borrow_index = *index;
  const auto paid = charge_borrowers(borrowers, *growth, pool.asset, plan.postings);
  const auto pot = paid ? lending::times_ratio_down(*paid, Ratio::kScale - config.reserve_factor.raw()) : std::nullopt;
  const auto earned = pot ? credit_suppliers(suppliers, supplied, *pot, pool.asset, plan.postings) : std::nullopt;
  if (!earned || *paid - *earned > INT64_MAX) {
    plan.status = Status::balance_overflow;
    return plan;
  }
  const int128 kept = *paid - *earned;
  if (kept > 0) {
    plan.postings.push_back({reserves_sub_account(config), pool.asset, Amount::from_raw(static_cast<std::int64_t>(kept))});
  }
  plan.next.interest_paid += *paid;
  plan.next.interest_earned += *earned;
  plan.next.reserves += kept;
  BALLAST_ASSERT(plan.next.interest_paid == plan.next.interest_earned + plan.next.reserves);
  return plan;
}

Status judge_supply(const AssetPool& pool, int128 deposit_units, Amount balance, Amount amount) {
  // A deposit into a debt repays it first: only what passes zero is new supply.
  const int128 before = std::max<std::int64_t>(balance.raw(), 0);
  const int128 after = std::max<int128>(static_cast<int128>(balance.raw()) + amount.raw(), 0);
  return deposit_units + (after - before) > pool.config.supply_cap.raw() ? Status::supply_cap_exceeded : Status::ok;
}

Status judge_borrow(const AssetPool& pool, const PoolFigures& figures, Amount balance, Amount amount) {
  // What leaves the pool's cash is the whole amount: the supply it draws down and the debt it adds.
  if (figures.cash() < amount.raw()) return Status::insufficient_liquidity;
  const int128 new_debt = std::max<int128>(0, static_cast<int128>(amount.raw()) - std::max<std::int64_t>(balance.raw(), 0));
  return figures.borrow_units + new_debt > pool.config.borrow_cap.raw() ? Status::borrow_cap_exceeded : Status::ok;
}

void encode_pools(ByteWriter& out, const std::vector<AssetPool>& pools) {
  out.u32(static_cast<std::uint32_t>(pools.size()));
  for (const AssetPool& pool : pools) {
    out.u32(pool.asset.value);
    encode_config(out, pool.config);
  }
}

Result<std::vector<AssetPool>> decode_pools(ByteReader& in, const margin::RiskConfig& risk) {
  const auto count = in.u32();
  if (!count || *count > risk.assets.size()) return make_error(ErrorCode::corrupt, "pools: bad count");
  std::vector<AssetPool> pools;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto asset = in.u32();
    if (!asset) return make_error(ErrorCode::corrupt, "pools: truncated");
    Result<lending::PoolConfig> config = decode_config(in);
    if (!config) {
      return make_error(ErrorCode::corrupt, "pools[" + std::to_string(i) + "]: " + config.error().message);
    }
    pools.push_back({AssetId{*asset}, std::move(*config)});
  }
  if (Outcome valid = validate_pools(pools, risk); !valid) return make_error(ErrorCode::corrupt, valid.error().message);
  return pools;
}

void encode_pool_state(ByteWriter& out, const PoolState& state) {
  out.i64(state.accrued_ns);
  out.i128(state.borrow_index);
  for (const Ratio ratio : {state.scaling, state.utilization, state.borrow_rate}) encode_ratio(out, ratio);
  for (const int128 total : {state.interest_paid, state.interest_earned, state.reserves}) out.i128(total);
}

std::optional<PoolState> decode_pool_state(ByteReader& in) {
  PoolState state;
  const auto accrued = in.i64();
  const auto index = in.i128();
  const auto scaling = decode_ratio(in);
  const auto utilization = decode_ratio(in);
  const auto rate = decode_ratio(in);
  const auto paid = in.i128();
  const auto earned = in.i128();
  const auto reserves = in.i128();
  if (!accrued || !index || !scaling || !utilization || !rate || !paid || !earned || !reserves) return std::nullopt;
  if (*accrued < 0 || *index < lending::kIndexScale || *paid != *earned + *reserves) return std::nullopt;
  state = {*accrued, *index, *scaling, *utilization, *rate, *paid, *earned, *reserves};
  return state;
}

}  // namespace ballast
