// The liquidity vault (vault.hpp): parameters, hand-worked deposits at the opening price, fees
// raising the share price, a backstop loss during a cooldown shared pro rata, the share-inflation
// attack against the offset (and without it), every status with its precedence, each rejection
// changing nothing, and the canonical encoding with its refusals.
//
// Unless a test says otherwise: default offset (virtual_shares 1,000 share units = 10^-6 share,
// virtual_assets 1 money unit = 10^-6, so the vault opens at 1 money per share), cooldown one hour,
// minimum deposit 10, at most 2 pending requests. Shares are raw counts of 10^-9 share, money raw
// counts of 10^-6.

#include "ballast/lending/vault.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace ballast::lending {
namespace {

constexpr TimestampNs kStart = 1'700'000'000'000'000'000;
constexpr TimestampNs kHourNs = 3'600'000'000'000;

const AccountId alice{16};
const AccountId bob{17};
const AccountId carol{18};

VaultShares shares(const char* text) { return exact_fixed<VaultShares>(text); }

VaultParams default_params() {
  return {.cooldown_ns = kHourNs, .min_deposit = money("10"), .max_pending_withdrawals = 2};
}

LiquidityVault make_vault(VaultParams params = default_params()) {
  auto vault = LiquidityVault::make(params, kStart);
  EXPECT_TRUE(vault.ok()) << (vault.ok() ? "" : vault.error().message);
  return std::move(vault).value();
}

std::string encoded(const LiquidityVault& vault) {
  ByteWriter out;
  vault.encode(out);
  return out.take();
}

// Alice deposits 600 into the empty vault (equity 0), Bob 400 after her (equity 600): the vault
// holds 1,000 at 1 money per share.
//   Alice: floor(600·10^6 × (0 + 1,000) / (0 + 1)) = 6·10^11 units = 600 shares.
//   Bob:   floor(400·10^6 × (6·10^11 + 1,000) / (6·10^8 + 1)) = 4·10^11 exactly, because
//          6·10^11 + 1,000 = 1,000 × (6·10^8 + 1): the LPs' price equals the virtual one.
LiquidityVault alice_and_bob() {
  LiquidityVault vault = make_vault();
  const DepositResult a = vault.deposit(alice, money("600"), money("0"), kStart);
  EXPECT_EQ(a.status, VaultStatus::ok);
  EXPECT_EQ(a.minted, shares("600"));
  const DepositResult b = vault.deposit(bob, money("400"), money("600"), kStart);
  EXPECT_EQ(b.status, VaultStatus::ok);
  EXPECT_EQ(b.minted, shares("400"));
  return vault;
}

// A rejection reports `expected` and leaves the canonical bytes as they were.
#define EXPECT_REJECTED(vault, call, expected)             \
  do {                                                     \
    const std::string before_bytes = encoded(vault);       \
    EXPECT_EQ((call), (expected));                         \
    EXPECT_EQ(encoded(vault), before_bytes) << #call;      \
  } while (false)

// --- parameters -------------------------------------------------------------------------------

TEST(VaultParams, DefaultsAreValid) { EXPECT_TRUE(validate(default_params()).ok()); }

TEST(VaultParams, EachFieldRefusedByName) {
  const auto refused = [](VaultParams params, const char* field) {
    const Outcome outcome = validate(params);
    ASSERT_FALSE(outcome.ok()) << field;
    EXPECT_NE(outcome.error().message.find(field), std::string::npos) << outcome.error().message;
    EXPECT_EQ(outcome.error().code, ErrorCode::invalid_input);
  };
  VaultParams params = default_params();
  params.cooldown_ns = -1;
  refused(params, "cooldown_ns");
  params = default_params();
  params.min_deposit = money("-0.000001");
  refused(params, "min_deposit");
  params = default_params();
  params.virtual_shares = VaultShares{};
  refused(params, "virtual_shares");
  params = default_params();
  params.virtual_assets = Money{};
  refused(params, "virtual_assets");
  params = default_params();
  params.max_pending_withdrawals = 0;
  refused(params, "max_pending_withdrawals");
  // Zero cooldown and zero minimum are allowed: the minimum's floor is "more than zero".
  params = default_params();
  params.cooldown_ns = 0;
  params.min_deposit = Money{};
  EXPECT_TRUE(validate(params).ok());
}

TEST(VaultParams, MakeRefusesBadParamsAndNegativeStart) {
  VaultParams params = default_params();
  params.max_pending_withdrawals = 0;
  EXPECT_FALSE(LiquidityVault::make(params, kStart).ok());
  EXPECT_FALSE(LiquidityVault::make(default_params(), -1).ok());
}

// --- prices and values ------------------------------------------------------------------------

TEST(Vault, OpensAtOneMoneyPerShare) {
  const LiquidityVault empty = make_vault();
  // (0 + 10^-6) / (0 + 10^-6 share) = 1: what the opening deposit pays.
  EXPECT_EQ(empty.share_price(money("0")), price("1"));
  const LiquidityVault vault = alice_and_bob();
  EXPECT_EQ(vault.total_shares(), shares("1000"));
  // min((10^9 + 1)·10^12 / (10^12 + 1,000), 10^9·10^12 / 10^12) = min(10^9, 10^9): 1 per share.
  EXPECT_EQ(vault.share_price(money("1000")), price("1"));
  EXPECT_EQ(vault.value_of(alice, money("1000")), money("600"));
  EXPECT_EQ(vault.value_of(bob, money("1000")), money("400"));
  EXPECT_EQ(vault.value_of(carol, money("1000")), money("0"));
  // An equity of zero or below values every share at 0.
  EXPECT_EQ(vault.share_price(money("0")), price("0"));
  EXPECT_EQ(vault.share_price(money("-5")), price("0"));
  EXPECT_EQ(vault.value_of(alice, money("-5")), money("0"));
}

TEST(Vault, FeesRaiseTheSharePrice) {
  const LiquidityVault vault = alice_and_bob();
  // 100 of fees: equity 1,100. Mediant (1.1·10^9 + 1)·10^12 / (10^12 + 1,000)
  // = 10^9 × 1,100,000,001 / 1,000,000,001 = 1,099,999,999.9 → 1.099999999 (the LPs' own price,
  // 1.1, is higher: the virtual shares earn their 10^-9 of the fees).
  EXPECT_EQ(vault.share_price(money("1100")), price("1.099999999"));
  EXPECT_GT(*vault.share_price(money("1100")), *vault.share_price(money("1000")));
  // Alice: floor(6·10^8 × 1,100,000,001 / 1,000,000,001) = 659,999,999 (remainder 940,000,001).
  // Bob:   floor(4·10^8 × 1,100,000,001 / 1,000,000,001) = 439,999,999 (remainder 960,000,001).
  EXPECT_EQ(vault.value_of(alice, money("1100")), money("659.999999"));
  EXPECT_EQ(vault.value_of(bob, money("1100")), money("439.999999"));
}

TEST(Vault, BackstopLossDuringCooldownIsSharedProRata) {
  LiquidityVault vault = alice_and_bob();
  // Alice sees trouble coming and asks for all her shares before the backstop takes its loss.
  ASSERT_EQ(vault.request_withdrawal(alice, shares("600"), kStart + 1), VaultStatus::ok);
  EXPECT_EQ(vault.locked_of(alice), shares("600"));
  EXPECT_EQ(vault.shares_of(alice), shares("600"));  // locked shares are still hers, and at risk
  // The vault takes over a position and marks it 200 down: equity 800.
  EXPECT_REJECTED(vault, vault.withdraw(alice, money("800"), kStart + kHourNs).status, VaultStatus::cooldown_pending);
  const WithdrawResult out = vault.withdraw(alice, money("800"), kStart + 1 + kHourNs);
  ASSERT_EQ(out.status, VaultStatus::ok);
  // min(floor(6·10^11 × (8·10^8 + 1) / (10^12 + 1,000)), floor(6·10^11 × 8·10^8 / 10^12))
  // = min(floor(6·10^8 × 800,000,001 / 1,000,000,001) = 480,000,000 (+0.12), 480,000,000):
  // she bears 60% of the loss, 120, exactly as if she had not asked.
  EXPECT_EQ(out.paid, money("480"));
  EXPECT_EQ(out.burned, shares("600"));
  EXPECT_EQ(vault.shares_of(alice), shares("0"));
  EXPECT_TRUE(vault.positions().find(alice) == vault.positions().end());
  EXPECT_EQ(vault.total_shares(), shares("400"));
  // Bob keeps 40% of the loss: equity 320, floor(4·10^8 × 320,000,001 / 400,000,001) = 3.2·10^8.
  EXPECT_EQ(vault.value_of(bob, money("320")), money("320"));
}

TEST(Vault, PartialWithdrawalKeepsTheRestAndCancelUnlocks) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.request_withdrawal(alice, shares("100"), kStart), VaultStatus::ok);
  ASSERT_EQ(vault.cancel_withdrawal(alice, kStart + 10), VaultStatus::ok);
  EXPECT_EQ(vault.locked_of(alice), shares("0"));
  EXPECT_EQ(vault.positions().at(alice), (LpPosition{shares("600"), shares("0"), 0}));
  // A new request restarts the cooldown from its own time.
  ASSERT_EQ(vault.request_withdrawal(alice, shares("100"), kStart + 20), VaultStatus::ok);
  EXPECT_EQ(vault.positions().at(alice).claimable_ns, kStart + 20 + kHourNs);
  EXPECT_EQ(vault.pending_count(), 1U);
  const WithdrawResult out = vault.withdraw(alice, money("1000"), kStart + 20 + kHourNs);
  ASSERT_EQ(out.status, VaultStatus::ok);
  // min(floor(10^11 × (10^9 + 1) / (10^12 + 1,000)), floor(10^11 × 10^9 / 10^12)) = 10^8.
  EXPECT_EQ(out.paid, money("100"));
  EXPECT_EQ(vault.positions().at(alice), (LpPosition{shares("500"), shares("0"), 0}));
  EXPECT_EQ(vault.total_shares(), shares("900"));
  EXPECT_EQ(vault.pending_count(), 0U);
}

TEST(Vault, BelowTheVirtualPriceValuesAreCappedAtTheEquity) {
  // A large offset, 1 money beside 1 share (still opening at 1 per share): Alice's 100 mint
  // floor(10^8 × 10^9 / 10^6) = 10^11 units = 100 shares.
  VaultParams params = default_params();
  params.virtual_shares = shares("1");
  params.virtual_assets = money("1");
  LiquidityVault vault = make_vault(params);
  ASSERT_EQ(vault.deposit(alice, money("100"), money("0"), kStart).minted, shares("100"));
  // The backstop loses 90: equity 10. The mediant, (10 + 1) / (100 + 1) per share, would value
  // her shares at floor(10^11 × 1.1·10^7 / 1.01·10^11) = 10.891089, more than the vault has: the
  // virtual money is not there to pay. Capped at her pro-rata share: 10.
  EXPECT_EQ(vault.value_of(alice, money("10")), money("10"));
  EXPECT_EQ(vault.share_price(money("10")), price("0.1"));
  ASSERT_EQ(vault.request_withdrawal(alice, shares("100"), kStart), VaultStatus::ok);
  EXPECT_EQ(vault.withdraw(alice, money("10"), kStart + kHourNs).paid, money("10"));
}

// --- share inflation --------------------------------------------------------------------------

TEST(VaultInflation, OffsetBoundsTheVictimsLossAndMakesTheAttackerPay) {
  VaultParams params = default_params();
  params.min_deposit = Money{};
  LiquidityVault vault = make_vault(params);
  // The attacker buys the smallest piece: 1 money unit mints floor(1 × 1,000 / 1) = 1,000 units.
  const DepositResult attacker = vault.deposit(alice, Money::from_raw(1), money("0"), kStart);
  ASSERT_EQ(attacker.status, VaultStatus::ok);
  ASSERT_EQ(attacker.minted, VaultShares::from_raw(1'000));
  // ...then donates D = 1,000,000 to the vault's equity: E = 10^12 + 1 units.
  const Money equity = money("1000000.000001");
  // A deposit of 1 now buys nothing: floor(10^6 × 2,000 / (10^12 + 2)) = 0, refused, not taken.
  EXPECT_REJECTED(vault, vault.deposit(bob, money("1"), equity, kStart).status, VaultStatus::no_shares_minted);
  // The victim deposits 1,000: floor(10^9 × 2,000 / (10^12 + 2)) = 1 share unit.
  const DepositResult victim = vault.deposit(bob, money("1000"), equity, kStart);
  ASSERT_EQ(victim.status, VaultStatus::ok);
  ASSERT_EQ(victim.minted, VaultShares::from_raw(1));
  // Equity 1,001,000.000001, shares 1,001 units. The victim's unit redeems at
  // min(floor(1,001,000,000,002 / 2,001), floor(1,001,000,000,001 / 1,001))
  // = min(500,249,875 (remainder 127), 1,000,000,000) = 500.249875.
  const Money after = money("1001000.000001");
  const Money victim_value = vault.value_of(bob, after);
  EXPECT_EQ(victim_value, money("500.249875"));
  // Its loss, 499.750125, is below the offset's bound: one share unit at the price the deposit
  // minted at, (E + va) / (S + vs) = (10^12 + 2) / 2,000 = 500,000,000.001 units, plus the
  // payout's rounding unit: < 500.000002.
  const std::int64_t victim_loss = money("1000").raw() - victim_value.raw();
  EXPECT_EQ(victim_loss, 499'750'125);
  EXPECT_LT(victim_loss, 500'000'002);
  // The attacker paid 1,000,000.000001 for 1,000 units worth floor(1,000 × 1,001,000,000,002 /
  // 2,001) = 500,249.875063: half the donation went to the 1,000 virtual units beside its own
  // 1,000. It loses 499,750.124938, D/2, to take D/2,000: 999.99999988 times the victim's loss.
  const Money attacker_value = vault.value_of(alice, after);
  EXPECT_EQ(attacker_value, money("500249.875063"));
  EXPECT_GT(money("1000000.000001").raw() - attacker_value.raw(), 999 * victim_loss);
}

TEST(VaultInflation, WithoutAMeaningfulOffsetTheVictimLosesAThird) {
  // virtual_shares 1 unit: the same attack at a scale where the victim's deposit mints shares.
  VaultParams params = default_params();
  params.min_deposit = Money{};
  params.virtual_shares = VaultShares::from_raw(1);
  LiquidityVault vault = make_vault(params);
  ASSERT_EQ(vault.deposit(alice, Money::from_raw(1), money("0"), kStart).minted, VaultShares::from_raw(1));
  // Donation 1,000,000; victim deposits 1,000,000: floor(10^12 × 2 / (10^12 + 2)) = 1 unit.
  const DepositResult victim = vault.deposit(bob, money("1000000"), money("1000000.000001"), kStart);
  ASSERT_EQ(victim.minted, VaultShares::from_raw(1));
  // Equity 2,000,000.000001 over 2 units (+1 virtual): min(floor((2·10^12 + 2) / 3),
  // floor((2·10^12 + 1) / 2)) = 666,666.666667. The victim loses 333,333.333333, a third, and the
  // attacker, holding the same, about the same: the attack costs it no more than it takes.
  EXPECT_EQ(vault.value_of(bob, money("2000000.000001")), money("666666.666667"));
  EXPECT_EQ(vault.value_of(alice, money("2000000.000001")), money("666666.666667"));
}

// --- every status -----------------------------------------------------------------------------

TEST(VaultStatus, TimeRegressed) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.request_withdrawal(bob, shares("1"), kStart + 5), VaultStatus::ok);
  EXPECT_EQ(vault.clock_ns(), kStart + 5);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("50"), money("1000"), kStart + 4).status, VaultStatus::time_regressed);
  EXPECT_REJECTED(vault, vault.request_withdrawal(alice, shares("1"), kStart + 4), VaultStatus::time_regressed);
  EXPECT_REJECTED(vault, vault.cancel_withdrawal(bob, kStart + 4), VaultStatus::time_regressed);
  EXPECT_REJECTED(vault, vault.withdraw(bob, money("1000"), kStart + 4).status, VaultStatus::time_regressed);
  // The same time is not a regression.
  EXPECT_EQ(vault.cancel_withdrawal(bob, kStart + 5), VaultStatus::ok);
}

TEST(VaultStatus, AmountInvalidAndBelowMinimum) {
  LiquidityVault vault = alice_and_bob();
  EXPECT_REJECTED(vault, vault.deposit(carol, money("0"), money("1000"), kStart).status, VaultStatus::amount_invalid);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("-1"), money("1000"), kStart).status, VaultStatus::amount_invalid);
  EXPECT_REJECTED(vault, vault.request_withdrawal(alice, shares("0"), kStart), VaultStatus::amount_invalid);
  EXPECT_REJECTED(vault, vault.request_withdrawal(alice, VaultShares::from_raw(-1), kStart), VaultStatus::amount_invalid);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("9.999999"), money("1000"), kStart).status,
                  VaultStatus::below_min_deposit);
  // Exactly the minimum goes through: floor(10^7 × (10^12 + 1,000) / (10^9 + 1)) = 10^10 = 10 shares.
  EXPECT_EQ(vault.deposit(carol, money("10"), money("1000"), kStart).minted, shares("10"));
}

TEST(VaultStatus, WithdrawalsGated) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.request_withdrawal(alice, shares("100"), kStart), VaultStatus::ok);
  vault.set_gated(true);
  EXPECT_TRUE(vault.gated());
  EXPECT_REJECTED(vault, vault.withdraw(alice, money("1000"), kStart + kHourNs).status, VaultStatus::withdrawals_gated);
  // Requests and cancellations move no money: they go on under the gate.
  EXPECT_EQ(vault.request_withdrawal(bob, shares("100"), kStart + kHourNs), VaultStatus::ok);
  EXPECT_EQ(vault.cancel_withdrawal(bob, kStart + kHourNs), VaultStatus::ok);
  vault.set_gated(false);
  // The cooldown that ended under the gate is claimable once it lifts.
  EXPECT_EQ(vault.withdraw(alice, money("1000"), kStart + kHourNs).paid, money("100"));
}

TEST(VaultStatus, NoPendingWithdrawal) {
  LiquidityVault vault = alice_and_bob();
  EXPECT_REJECTED(vault, vault.withdraw(alice, money("1000"), kStart + kHourNs).status, VaultStatus::no_pending_withdrawal);
  EXPECT_REJECTED(vault, vault.withdraw(carol, money("1000"), kStart + kHourNs).status, VaultStatus::no_pending_withdrawal);
  EXPECT_REJECTED(vault, vault.cancel_withdrawal(alice, kStart), VaultStatus::no_pending_withdrawal);
  EXPECT_REJECTED(vault, vault.cancel_withdrawal(carol, kStart), VaultStatus::no_pending_withdrawal);
}

TEST(VaultStatus, WithdrawalPendingInsufficientSharesTooManyPending) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.deposit(carol, money("10"), money("1000"), kStart).status, VaultStatus::ok);
  ASSERT_EQ(vault.request_withdrawal(alice, shares("1"), kStart), VaultStatus::ok);
  EXPECT_REJECTED(vault, vault.request_withdrawal(alice, shares("1"), kStart), VaultStatus::withdrawal_pending);
  // Bob holds 400 shares: 400.000000001 is one unit too many; a stranger holds none.
  EXPECT_REJECTED(vault, vault.request_withdrawal(bob, shares("400.000000001"), kStart), VaultStatus::insufficient_shares);
  EXPECT_REJECTED(vault, vault.request_withdrawal(AccountId{99}, shares("1"), kStart), VaultStatus::insufficient_shares);
  ASSERT_EQ(vault.request_withdrawal(bob, shares("400"), kStart), VaultStatus::ok);  // all of it
  // Two requests wait, the maximum: Carol's third is refused until one is done.
  EXPECT_REJECTED(vault, vault.request_withdrawal(carol, shares("1"), kStart), VaultStatus::too_many_pending);
  ASSERT_EQ(vault.cancel_withdrawal(alice, kStart), VaultStatus::ok);
  EXPECT_EQ(vault.request_withdrawal(carol, shares("1"), kStart), VaultStatus::ok);
}

TEST(VaultStatus, CooldownPendingUntilTheClaimableTime) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.request_withdrawal(bob, shares("400"), kStart + 7), VaultStatus::ok);
  EXPECT_REJECTED(vault, vault.withdraw(bob, money("1000"), kStart + 6 + kHourNs).status, VaultStatus::cooldown_pending);
  const WithdrawResult out = vault.withdraw(bob, money("1000"), kStart + 7 + kHourNs);
  EXPECT_EQ(out.status, VaultStatus::ok);
  EXPECT_EQ(out.paid, money("400"));
}

TEST(VaultStatus, EquityNegativeAndExhausted) {
  LiquidityVault vault = alice_and_bob();
  // A vault under water refuses new money, which would only fill the hole for the LPs in it.
  EXPECT_REJECTED(vault, vault.deposit(carol, money("50"), money("-0.000001"), kStart).status, VaultStatus::equity_negative);
  ASSERT_EQ(vault.request_withdrawal(bob, shares("400"), kStart), VaultStatus::ok);
  EXPECT_REJECTED(vault, vault.withdraw(bob, money("0"), kStart + kHourNs).status, VaultStatus::equity_exhausted);
  EXPECT_REJECTED(vault, vault.withdraw(bob, money("-300"), kStart + kHourNs).status, VaultStatus::equity_exhausted);
  // The request stays: once the equity recovers to 1 money unit, Bob is paid his part of it,
  // min(floor(4·10^11 × 2 / (10^12 + 1,000)), floor(4·10^11 × 1 / 10^12)) = 0, and his shares
  // are burned: that is what his request asked for.
  const WithdrawResult out = vault.withdraw(bob, Money::from_raw(1), kStart + kHourNs);
  EXPECT_EQ(out.status, VaultStatus::ok);
  EXPECT_EQ(out.paid, money("0"));
  EXPECT_EQ(vault.total_shares(), shares("600"));
}

TEST(VaultStatus, Overflow) {
  LiquidityVault vault = make_vault();
  // 9.2·10^12 money would mint 9.2·10^18 × 1,000 units: beyond int64.
  EXPECT_REJECTED(vault, vault.deposit(alice, Money::from_raw(INT64_MAX), money("0"), kStart).status,
                  VaultStatus::overflow);
  // A cooldown that would end past the end of time.
  VaultParams params = default_params();
  params.cooldown_ns = INT64_MAX - kStart + 1;
  LiquidityVault forever = make_vault(params);
  ASSERT_EQ(forever.deposit(alice, money("10"), money("0"), kStart).status, VaultStatus::ok);
  EXPECT_REJECTED(forever, forever.request_withdrawal(alice, shares("1"), kStart), VaultStatus::overflow);
}

TEST(VaultStatus, PrecedenceFollowsTheEnum) {
  LiquidityVault vault = alice_and_bob();
  // time before amount; amount before minimum; minimum before equity; equity before share count.
  EXPECT_REJECTED(vault, vault.deposit(carol, money("0"), money("1000"), kStart - 1).status, VaultStatus::time_regressed);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("0"), money("-1"), kStart).status, VaultStatus::amount_invalid);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("1"), money("-1"), kStart).status, VaultStatus::below_min_deposit);
  EXPECT_REJECTED(vault, vault.deposit(carol, money("10"), money("-1"), kStart).status, VaultStatus::equity_negative);
  // gate before a missing request; pending before share count before the queue.
  vault.set_gated(true);
  EXPECT_REJECTED(vault, vault.withdraw(carol, money("1000"), kStart).status, VaultStatus::withdrawals_gated);
  vault.set_gated(false);
  ASSERT_EQ(vault.request_withdrawal(alice, shares("1"), kStart), VaultStatus::ok);
  ASSERT_EQ(vault.request_withdrawal(bob, shares("1"), kStart), VaultStatus::ok);
  EXPECT_REJECTED(vault, vault.request_withdrawal(alice, shares("9999"), kStart), VaultStatus::withdrawal_pending);
  EXPECT_REJECTED(vault, vault.request_withdrawal(carol, shares("1"), kStart), VaultStatus::insufficient_shares);
  // cooldown before equity.
  EXPECT_REJECTED(vault, vault.withdraw(alice, money("0"), kStart).status, VaultStatus::cooldown_pending);
}

TEST(VaultStatus, NamesAreDistinct) {
  EXPECT_STREQ(vault_status_name(VaultStatus::ok), "ok");
  EXPECT_STREQ(vault_status_name(VaultStatus::cooldown_pending), "cooldown_pending");
  EXPECT_STREQ(vault_status_name(VaultStatus::overflow), "overflow");
  EXPECT_STREQ(vault_status_name(static_cast<VaultStatus>(200)), "unknown");
}

// --- encoding ---------------------------------------------------------------------------------

// Byte offsets of the layout (vault.cpp encode): version 0, cooldown 1, min_deposit 9,
// virtual_shares 17, virtual_assets 25, max_pending 33, clock 37, gated 45, total 46, count 54,
// positions from 62, 32 bytes each (id, shares, locked, claimable).
constexpr std::size_t kGatedAt = 45;
constexpr std::size_t kTotalAt = 46;
constexpr std::size_t kPositionsAt = 62;

void put_i64(std::string& bytes, std::size_t at, std::int64_t value) {
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[at + i] = static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xffU);
  }
}

LiquidityVault sample_state() {
  LiquidityVault vault = alice_and_bob();
  EXPECT_EQ(vault.deposit(carol, money("25"), money("1000"), kStart + 3).status, VaultStatus::ok);
  EXPECT_EQ(vault.request_withdrawal(bob, shares("150"), kStart + 4), VaultStatus::ok);
  vault.set_gated(true);
  return vault;
}

Result<LiquidityVault> decode_all(const std::string& bytes) {
  ByteReader in(bytes);
  auto vault = LiquidityVault::decode(in);
  EXPECT_TRUE(!vault.ok() || in.at_end());
  return vault;
}

TEST(VaultEncoding, RoundTripIsExact) {
  const LiquidityVault vault = sample_state();
  const std::string bytes = encoded(vault);
  EXPECT_EQ(bytes.size(), kPositionsAt + 3 * 32);
  const auto decoded = decode_all(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, vault);
  EXPECT_EQ(encoded(*decoded), bytes);
  EXPECT_EQ(decoded->pending_count(), 1U);
  EXPECT_TRUE(decoded->gated());
}

TEST(VaultEncoding, EqualStatesEncodeEquallyWhateverTheirHistory) {
  LiquidityVault direct = alice_and_bob();
  LiquidityVault detour = alice_and_bob();
  ASSERT_EQ(detour.request_withdrawal(alice, shares("5"), kStart), VaultStatus::ok);
  ASSERT_EQ(detour.cancel_withdrawal(alice, kStart), VaultStatus::ok);
  EXPECT_EQ(encoded(detour), encoded(direct));
}

TEST(VaultEncoding, EveryTruncationIsRefused) {
  const std::string bytes = encoded(sample_state());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    ByteReader in(std::string_view(bytes).substr(0, length));
    const auto decoded = LiquidityVault::decode(in);
    EXPECT_FALSE(decoded.ok()) << length;
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
    }
  }
}

TEST(VaultEncoding, CorruptionIsRefusedByName) {
  const std::string good = encoded(sample_state());
  const auto refused = [&](std::string bytes, const char* what) {
    const auto decoded = decode_all(bytes);
    ASSERT_FALSE(decoded.ok()) << what;
    EXPECT_NE(decoded.error().message.find(what), std::string::npos) << decoded.error().message;
  };
  std::string bytes = good;
  bytes[0] = 2;
  refused(bytes, "unknown format version");
  bytes = good;
  put_i64(bytes, 17, 0);  // virtual_shares 0
  refused(bytes, "virtual_shares");
  bytes = good;
  bytes[kGatedAt] = 2;
  refused(bytes, "bad clock, gate");
  bytes = good;
  put_i64(bytes, kTotalAt, shares("1025").raw() + 1);
  refused(bytes, "total shares");
  bytes = good;
  put_i64(bytes, kPositionsAt + 32, 16);  // Bob's id equal to Alice's: not increasing
  refused(bytes, "bad position 1");
  bytes = good;
  put_i64(bytes, kPositionsAt + 16, shares("601").raw());  // Alice locks more than she holds
  refused(bytes, "bad position 0");
  bytes = good;
  put_i64(bytes, kPositionsAt + 24, kStart + kHourNs);  // a claimable time without a lock
  refused(bytes, "bad position 0");
  bytes = good;
  put_i64(bytes, kPositionsAt + 32 + 24, kStart + 5 + kHourNs);  // requested after the clock
  refused(bytes, "bad position 1");
  bytes = good;
  put_i64(bytes, kPositionsAt + 8, 0);  // an LP with no shares is not kept
  refused(bytes, "bad position 0");
}

TEST(VaultEncoding, MorePendingThanAllowedIsRefused) {
  LiquidityVault vault = alice_and_bob();
  ASSERT_EQ(vault.request_withdrawal(alice, shares("1"), kStart), VaultStatus::ok);
  ASSERT_EQ(vault.request_withdrawal(bob, shares("1"), kStart), VaultStatus::ok);
  std::string bytes = encoded(vault);
  bytes[33] = 1;  // max_pending_withdrawals 2 → 1
  const auto decoded = decode_all(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("more pending withdrawals"), std::string::npos);
}

}  // namespace
}  // namespace ballast::lending
