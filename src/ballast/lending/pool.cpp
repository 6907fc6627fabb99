#include "ballast/lending/pool.hpp"

#include <string>

namespace ballast::lending {
namespace {

constexpr std::int64_t kRatioOne = Ratio::kScale;

std::optional<int128> checked_mul(int128 a, int128 b) {
  int128 product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    return std::nullopt;
  }
  return product;
}

std::optional<int128> checked_sum(int128 a, int128 b) {
  int128 sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return std::nullopt;
  }
  return sum;
}

// ok while `shares` valued at `index` (up: a cap is never exceeded by a rounding) stay within
// `cap`, `exceeded` above it, overflow when the value leaves 128 bits.
LendingStatus within_cap(int128 shares, Index index, Amount cap, LendingStatus exceeded) {
  const auto total = value_of(shares, index.raw, Round::up);
  if (!total) {
    return LendingStatus::overflow;
  }
  return *total > cap.raw() ? exceeded : LendingStatus::ok;
}

Error invalid(std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); }

}  // namespace

// Split the index into whole and fractional parts so that no intermediate exceeds
// shares × 10^18 or shares × whole.
std::optional<int128> value_of(int128 shares, int128 index, Round round) {
  BALLAST_ASSERT(shares >= 0 && index >= 0);
  const auto whole = checked_mul(shares, index / kIndexScale);
  const auto part = checked_mul(shares, index % kIndexScale);
  if (!whole || !part) {
    return std::nullopt;
  }
  return checked_sum(*whole, div_round(*part, kIndexScale, round));
}

// Split the same way.
std::optional<int128> times_ratio_down(int128 value, std::int64_t fraction) {
  BALLAST_ASSERT(value >= 0 && fraction >= 0);
  const auto whole = checked_mul(value / kRatioOne, fraction);
  if (!whole) {
    return std::nullopt;
  }
  return checked_sum(*whole, div_round((value % kRatioOne) * fraction, kRatioOne, Round::down));
}

// The number of shares worth `amount` units at `index`, in the given direction.
int128 shares_for(std::int64_t amount, Index index, Round round) {
  BALLAST_ASSERT(amount >= 0 && index.raw > 0);
  return div_round(static_cast<int128>(amount) * kIndexScale, index.raw, round);
}


const char* lending_status_name(LendingStatus status) noexcept {
  switch (status) {
    case LendingStatus::ok: return "ok";
    case LendingStatus::amount_invalid: return "amount_invalid";
    case LendingStatus::time_regressed: return "time_regressed";
    case LendingStatus::insufficient_balance: return "insufficient_balance";
    case LendingStatus::insufficient_liquidity: return "insufficient_liquidity";
    case LendingStatus::borrow_cap_exceeded: return "borrow_cap_exceeded";
    case LendingStatus::supply_cap_exceeded: return "supply_cap_exceeded";
    case LendingStatus::overflow: return "overflow";
  }
  return "unknown";
}

const char* reserves_destination_name(ReservesDestination destination) noexcept {
  switch (destination) {
    case ReservesDestination::insurance_fund: return "insurance_fund";
    case ReservesDestination::treasury: return "treasury";
  }
  return "unknown";
}

Outcome validate(const PoolConfig& config) {
  if (config.reserve_factor.raw() < 0 || config.reserve_factor.raw() > kRatioOne) {
    return invalid("pool: reserve factor " + config.reserve_factor.to_string() + " outside [0, 1]");
  }
  if (config.supply_cap.raw() < 0) {
    return invalid("pool: supply cap " + config.supply_cap.to_string() + " is negative");
  }
  if (config.borrow_cap.raw() < 0) {
    return invalid("pool: borrow cap " + config.borrow_cap.to_string() + " is negative");
  }
  if (config.curve.points().size() < 2) {
    return invalid("pool: the rate curve has no points");
  }
  if (config.adaptive) {
    return validate(*config.adaptive);
  }
  return Ok{};
}

int128 exp_minus_one_up(int128 x_raw) {
  BALLAST_ASSERT(x_raw >= 0 && x_raw <= kIndexScale);
  if (x_raw == 0) {
    return 0;
  }
  // term_k >= x^k / k! (every step rounds up); stop at the first term <= 1 unit. Then
  // x/(k+1) <= 1/2, so the tail Σ_{j>k} x^j/j! <= term_k · Σ_{i>=1} 2^-i <= term_k: adding term_k
  // once more makes the sum an upper bound of e^x − 1. With x <= 1 the terms fall below one unit
  // by k = 20 (20! > 10^18).
  int128 term = x_raw;
  int128 sum = x_raw;
  for (int k = 2; term > 1; ++k) {
    BALLAST_ASSERT(k <= 24);
    term = div_round(term * x_raw, static_cast<int128>(k) * kIndexScale, Round::up);
    sum += term;
  }
  return sum + term;
}

std::optional<int128> grow_index_up(int128 index_raw, Ratio rate, int128 elapsed_ns) {
  BALLAST_ASSERT(index_raw > 0 && elapsed_ns >= 0 && !rate.is_negative());
  // x = rate · Δt / year at 10^-18: rate_raw·10^-12 · Δt_ns / (year_s·10^9) · 10^18, up.
  // rate_raw <= 10^14 and Δt < 2^63, so the product fits 128 bits.
  int128 x = div_round(static_cast<int128>(rate.raw()) * elapsed_ns, static_cast<int128>(kSecondsPerYear) * 1000,
                       Round::up);
  int128 index = index_raw;
  while (x > 0) {
    const int128 chunk = x < kIndexScale ? x : kIndexScale;
    const auto growth = value_of(exp_minus_one_up(chunk), index, Round::up);
    const auto next = growth ? checked_sum(index, *growth) : std::nullopt;
    if (!next) {
      return std::nullopt;
    }
    index = *next;
    x -= chunk;
  }
  return index;
}

Result<Pool> Pool::make(PoolConfig config, TimestampNs start_ns) {
  if (auto valid = validate(config); !valid) {
    return std::move(valid).error();
  }
  if (start_ns < 0) {
    return invalid("pool: start time " + std::to_string(start_ns) + " is negative");
  }
  return Pool(std::move(config), start_ns);
}

Outcome Pool::reconfigure(PoolConfig config) {
  if (auto valid = validate(config); !valid) {
    return valid;
  }
  config_ = std::move(config);
  if (!config_.adaptive) {
    scaling_ = kOneRatio;
  } else if (scaling_ > config_.adaptive->max_scaling) {
    scaling_ = config_.adaptive->max_scaling;
  }
  return Ok{};
}

LendingStatus Pool::accrue(TimestampNs now_ns) {
  if (now_ns < last_accrual_ns_) {
    return LendingStatus::time_regressed;
  }
  // Nothing owed, no time, or a zero rate: the indices stay (and no rate is read without debt).
  if (now_ns == last_accrual_ns_ || debt_shares_ == 0) {
    last_accrual_ns_ = now_ns;
    return LendingStatus::ok;
  }
  const Ratio rate = borrow_rate();
  if (rate.is_zero()) {
    last_accrual_ns_ = now_ns;
    return LendingStatus::ok;
  }
  const auto grown = grow_index_up(borrow_index_.raw, rate, static_cast<int128>(now_ns) - last_accrual_ns_);
  if (!grown) {
    return LendingStatus::overflow;
  }
  const int128 borrow = *grown;
  // What borrowers paid, exactly, in 10^-18 units; what suppliers earn, down; the rest is kept.
  const auto interest = checked_mul(debt_shares_, borrow - borrow_index_.raw);
  if (!interest) {
    return LendingStatus::overflow;
  }
  const auto to_suppliers = times_ratio_down(*interest, kRatioOne - config_.reserve_factor.raw());
  if (!to_suppliers) {
    return LendingStatus::overflow;
  }
  const int128 supply_rise = supply_shares_ > 0 ? *to_suppliers / supply_shares_ : 0;
  const int128 kept = *interest - supply_rise * supply_shares_;
  BALLAST_ASSERT(kept >= 0);
  const auto supply = checked_sum(supply_index_.raw, supply_rise);
  const auto reserves = checked_sum(reserves_sub_, kept);
  if (!supply || !reserves) {
    return LendingStatus::overflow;
  }
  borrow_index_.raw = borrow;
  supply_index_.raw = *supply;
  reserves_sub_ = *reserves;
  last_accrual_ns_ = now_ns;
  return LendingStatus::ok;
}

LendingStatus Pool::deposit(ScaledBalance& balance, Amount amount) {
  if (amount.raw() <= 0) {
    return LendingStatus::amount_invalid;
  }
  BALLAST_ASSERT(balance != INT64_MIN);
  const std::int64_t cash_in = amount.raw();
  int128 repaid_shares = 0;  // debt shares burned
  int128 supply_leg = cash_in;
  if (balance < 0) {
    BALLAST_ASSERT(-balance <= debt_shares_);
    const auto debt = value_of(-static_cast<int128>(balance), borrow_index_.raw, Round::up);
    if (!debt) {
      return LendingStatus::overflow;
    }
    if (supply_leg >= *debt) {
      repaid_shares = -static_cast<int128>(balance);
      supply_leg -= *debt;
    } else {
      repaid_shares = shares_for(cash_in, borrow_index_, Round::down);
      supply_leg = 0;
    }
  }
  const int128 minted = supply_leg > 0
                            ? shares_for(static_cast<std::int64_t>(supply_leg), supply_index_, Round::down)
                            : 0;
  if (repaid_shares == 0 && minted == 0) {
    return LendingStatus::amount_invalid;
  }
  const int128 new_supply = supply_shares_ + minted;
  if (new_supply > INT64_MAX) {
    return LendingStatus::overflow;
  }
  if (minted > 0) {
    if (const auto capped = within_cap(new_supply, supply_index_, config_.supply_cap,
                                       LendingStatus::supply_cap_exceeded);
        capped != LendingStatus::ok) {
      return capped;
    }
  }
  std::int64_t new_cash = 0;
  if (__builtin_add_overflow(cash_, cash_in, &new_cash)) {
    return LendingStatus::overflow;
  }
  // Cash brought minus the exact value of the debt cleared and the claim bought: >= 0 by the
  // roundings above, kept as reserves.
  const auto cleared = checked_mul(repaid_shares, borrow_index_.raw);
  const auto bought = checked_mul(minted, supply_index_.raw);
  const auto reserves = cleared && bought ? checked_sum(reserves_sub_, static_cast<int128>(cash_in) * kIndexScale -
                                                                       *cleared - *bought)
                                          : std::nullopt;
  if (!reserves) {
    return LendingStatus::overflow;
  }
  BALLAST_ASSERT(*reserves >= reserves_sub_);
  cash_ = new_cash;
  debt_shares_ -= static_cast<std::int64_t>(repaid_shares);
  supply_shares_ = static_cast<std::int64_t>(new_supply);
  reserves_sub_ = *reserves;
  balance += static_cast<std::int64_t>(repaid_shares + minted);
  return LendingStatus::ok;
}

LendingStatus Pool::withdraw(ScaledBalance& balance, Amount amount, bool allow_borrow) {
  if (amount.raw() <= 0) {
    return LendingStatus::amount_invalid;
  }
  const std::int64_t cash_out = amount.raw();
  int128 burned = 0;  // supply shares
  int128 borrow_leg = cash_out;
  if (balance > 0) {
    BALLAST_ASSERT(balance <= supply_shares_);
    const auto claim = value_of(balance, supply_index_.raw, Round::down);
    if (!claim) {
      return LendingStatus::overflow;
    }
    if (cash_out <= *claim) {
      burned = shares_for(cash_out, supply_index_, Round::up);
      BALLAST_ASSERT(burned <= balance);
      borrow_leg = 0;
    } else {
      burned = balance;
      borrow_leg = cash_out - *claim;
    }
  }
  if (borrow_leg > 0 && !allow_borrow) {
    return LendingStatus::insufficient_balance;
  }
  if (cash_out > cash_) {
    return LendingStatus::insufficient_liquidity;
  }
  const int128 minted = borrow_leg > 0
                            ? shares_for(static_cast<std::int64_t>(borrow_leg), borrow_index_, Round::up)
                            : 0;
  const int128 new_debt = debt_shares_ + minted;
  const int128 new_balance = static_cast<int128>(balance) - burned - minted;
  if (new_debt > INT64_MAX || new_balance <= INT64_MIN) {
    return LendingStatus::overflow;
  }
  if (minted > 0) {
    if (const auto capped = within_cap(new_debt, borrow_index_, config_.borrow_cap,
                                       LendingStatus::borrow_cap_exceeded);
        capped != LendingStatus::ok) {
      return capped;
    }
  }
  // The exact value of the claim given up and the debt taken on, minus the cash paid out: >= 0
  // by the roundings above, kept as reserves.
  const auto given_up = checked_mul(burned, supply_index_.raw);
  const auto taken_on = checked_mul(minted, borrow_index_.raw);
  const auto owed = given_up && taken_on ? checked_sum(*given_up, *taken_on) : std::nullopt;
  const auto reserves = owed ? checked_sum(reserves_sub_, *owed - static_cast<int128>(cash_out) * kIndexScale)
                             : std::nullopt;
  if (!reserves) {
    return LendingStatus::overflow;
  }
  BALLAST_ASSERT(*reserves >= reserves_sub_);
  cash_ -= cash_out;
  supply_shares_ -= static_cast<std::int64_t>(burned);
  debt_shares_ = static_cast<std::int64_t>(new_debt);
  reserves_sub_ = *reserves;
  balance = static_cast<std::int64_t>(new_balance);
  return LendingStatus::ok;
}

std::optional<Amount> Pool::amount_of(ScaledBalance balance) const {
  if (balance >= 0) {
    const auto claim = value_of(balance, supply_index_.raw, Round::down);
    const auto raw = claim ? narrow_i64(*claim) : std::nullopt;
    return raw ? std::optional<Amount>(Amount::from_raw(*raw)) : std::nullopt;
  }
  const auto debt = value_of(-static_cast<int128>(balance), borrow_index_.raw, Round::up);
  const auto raw = debt ? narrow_i64(-*debt) : std::nullopt;
  return raw ? std::optional<Amount>(Amount::from_raw(*raw)) : std::nullopt;
}

void Pool::adapt_scaling(Ratio average_utilization) {
  BALLAST_ASSERT(config_.adaptive.has_value());
  scaling_ = lending::adapt_scaling(*config_.adaptive, scaling_, average_utilization);
}

ReserveTransfer Pool::take_reserves() {
  int128 units = reserves_sub_ / kIndexScale;
  if (units > cash_) {
    units = cash_;
  }
  reserves_sub_ -= units * kIndexScale;
  cash_ -= static_cast<std::int64_t>(units);
  return {config_.reserves_to, Amount::from_raw(static_cast<std::int64_t>(units))};
}

Amount Pool::reserves() const {
  const auto raw = narrow_i64(reserves_sub_ / kIndexScale);
  BALLAST_ASSERT(raw.has_value());
  return Amount::from_raw(*raw);
}

int128 Pool::total_supply() const {
  const auto total = value_of(supply_shares_, supply_index_.raw, Round::down);
  BALLAST_ASSERT(total.has_value());
  return *total;
}

int128 Pool::total_debt() const {
  const auto total = value_of(debt_shares_, borrow_index_.raw, Round::up);
  BALLAST_ASSERT(total.has_value());
  return *total;
}

Ratio Pool::utilization() const { return lending::utilization(total_debt(), cash_, Round::up); }

Ratio Pool::borrow_rate() const {
  const Ratio rate = config_.curve.rate_at(utilization());
  return config_.adaptive ? scaled_rate(rate, scaling_) : rate;
}

Ratio Pool::supply_rate() const {
  return lending::supply_rate(borrow_rate(), lending::utilization(total_debt(), cash_, Round::down),
                              config_.reserve_factor);
}

}  // namespace ballast::lending
