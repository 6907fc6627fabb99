// The liquidity vault in the engine (issue 6, items 2 and 3; lending/vault.hpp, backstop.hpp): LPs
// deposit quote for shares and withdraw after a cooldown, at the vault's marked equity; the vault
// takes over margin groups below the backstop threshold and keeps their remaining equity. Every
// figure is worked by hand on margin_venue.hpp's venue (BTC perpetual, 10% initial / 5%
// maintenance) with the default liquidation rules (backstop below coverage 2/3) and a vault that
// opens at 1 USDC per share (ERC-4626 offset 1,000 share units per micro-USDC) with a one-hour
// cooldown.

#include <gtest/gtest.h>

#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

constexpr AccountId kCarol{18};
constexpr SubAccountId kCarolMain{300};
constexpr SubAccountId kVaultSub{kVault.value};
constexpr TimestampNs kHour = 3'600 * kSecond;

lending::VaultShares shares(std::int64_t whole) { return lending::VaultShares::from_raw(whole * 1'000'000'000); }

class EngineVaultTest : public EngineMarginTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options;
    if (with_vault_) {
      lending::VaultParams vault;
      vault.cooldown_ns = kHour;
      vault.min_deposit = money("100");
      vault.max_pending_withdrawals = 2;
      options.vault = vault;
    }
    return options;
  }
  void add_carol(std::int64_t usdc_whole) {
    ok(CreateAccount{kCarol});
    ok(CreateSubAccount{kCarol, kCarolMain, MarginMode::cross});
    ok(Deposit{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(usdc_whole))});
  }
  // Alice long 1.5 BTC from 50,000 against Bob's short.
  void alice_long() {
    ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
    ok(fill(kBob, kBobMain, kPerp, "-1.5", "50000"));
  }
  bool with_vault_ = true;
};

TEST_F(EngineVaultTest, AnLpDepositsForSharesAndWithdrawsAfterTheCooldown) {
  ok(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(1'000))});
  // An empty vault at the opening price: 1,000 USDC mints 1,000 shares.
  EXPECT_EQ(engine_.vault()->shares_of(kAlice), shares(1'000));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(9'000));
  EXPECT_EQ(balance(kVaultSub, kUsdc), usdc(1'000));
  EXPECT_EQ(engine_.vault_equity(), money("1000"));
  ok(VaultRequestWithdrawal{kAlice, shares(400)});
  rejected(VaultRequestWithdrawal{kAlice, shares(1)}, Status::vault_request_pending);
  rejected(VaultWithdraw{kAlice, kAliceMain}, Status::vault_cooldown);
  now_ += kHour;
  ok(VaultWithdraw{kAlice, kAliceMain});
  // 400 of 1,000 shares of an equity of 1,000: 400 USDC.
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(9'400));
  EXPECT_EQ(balance(kVaultSub, kUsdc), usdc(600));
  EXPECT_EQ(engine_.vault()->shares_of(kAlice), shares(600));
  rejected(VaultWithdraw{kAlice, kAliceMain}, Status::vault_no_request);
  rejected(VaultCancelWithdrawal{kAlice}, Status::vault_no_request);
}

TEST_F(EngineVaultTest, VaultEventsAreRefusedWithAClearStatus) {
  rejected(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(99))}, Status::vault_deposit_too_small);
  rejected(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(10'001))}, Status::insufficient_balance);
  rejected(VaultDeposit{kAlice, kBobMain, Amount::from_raw(usdc(100))}, Status::sub_account_foreign);
  rejected(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(0)}, Status::amount_zero);
  rejected(VaultRequestWithdrawal{kAlice, shares(1)}, Status::insufficient_balance);
  rejected(VaultRequestWithdrawal{kAlice, lending::VaultShares::from_raw(-1)}, Status::amount_negative);
  rejected(VaultRequestWithdrawal{AccountId{99}, shares(1)}, Status::account_unknown);
  // A deposit leaves under the margin check of a withdrawal: Alice long 1.5 BTC at 50,000 needs
  // 7,500 of her 10,000 as initial margin.
  alice_long();
  rejected(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(2'501))}, Status::insufficient_margin);
  ok(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(2'500))});
}

// The vault holds at most two withdrawal requests (max_pending_withdrawals): a third LP waits
// until one is claimed or cancelled.
TEST_F(EngineVaultTest, TheWithdrawalQueueIsBounded) {
  add_carol(1'000);
  ok(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(1'000))});
  ok(VaultDeposit{kBob, kBobMain, Amount::from_raw(usdc(1'000))});
  ok(VaultDeposit{kCarol, kCarolMain, Amount::from_raw(usdc(1'000))});
  ok(VaultRequestWithdrawal{kAlice, shares(100)});
  ok(VaultRequestWithdrawal{kBob, shares(100)});
  rejected(VaultRequestWithdrawal{kCarol, shares(100)}, Status::vault_queue_full);
  ok(VaultCancelWithdrawal{kAlice});
  ok(VaultRequestWithdrawal{kCarol, shares(100)});
  expect_replay_and_restore_match();
}

TEST_F(EngineVaultTest, AVenueWithoutAVaultSaysSo) {
  with_vault_ = false;
  SetUp();
  rejected(VaultDeposit{kAlice, kAliceMain, Amount::from_raw(usdc(1'000))}, Status::vault_missing);
  rejected(VaultWithdraw{kAlice, kAliceMain}, Status::vault_missing);
  rejected(BackstopTakeover{kAliceMain}, Status::vault_missing);
  // Existence and ownership come before vault_missing in precedence.
  rejected(VaultDeposit{AccountId{99}, kAliceMain, Amount::from_raw(usdc(1'000))}, Status::account_unknown);
  rejected(VaultDeposit{kAlice, SubAccountId{999}, Amount::from_raw(usdc(1'000))}, Status::sub_account_unknown);
  rejected(VaultWithdraw{kAlice, kBobMain}, Status::sub_account_foreign);
  rejected(VaultRequestWithdrawal{AccountId{99}, lending::VaultShares::from_raw(1)}, Status::account_unknown);
  rejected(VaultCancelWithdrawal{AccountId{99}}, Status::account_unknown);
  rejected(BackstopTakeover{SubAccountId{999}}, Status::sub_account_unknown);
}

TEST_F(EngineVaultTest, TheBackstopTakesOverADeepGroupAndKeepsItsEquityForTheLps) {
  add_carol(20'000);
  ok(VaultDeposit{kCarol, kCarolMain, Amount::from_raw(usdc(5'000))});
  alice_long();
  rejected(BackstopTakeover{kAliceMain}, Status::account_healthy);
  // At 45,500: equity 3,250 against a requirement of 3,412.5, coverage 0.952: liquidators' turn.
  set_prices("45500");
  rejected(BackstopTakeover{kAliceMain}, Status::backstop_not_reached);
  // At 44,000: equity 10,000 − 9,000 = 1,000 against 1.5 × 44,000 × 5% = 3,300, coverage 0.30.
  set_prices("44000");
  ok(BackstopTakeover{kAliceMain});
  // Alice's long is closed at 44,000 (−9,000 realized), the vault opens it at 44,000, and her
  // remaining 1,000 USDC follows it.
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity{});
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  EXPECT_EQ(size(kVaultSub, kPerp), qty("1.5"));
  EXPECT_EQ(balance(kVaultSub, kUsdc), usdc(6'000));
  EXPECT_EQ(engine_.vault_equity(), money("6000"));
  // Carol's 5,000 shares are worth the mediant of 6,000 / 5,000 and the virtual price:
  // floor(5·10^12 × (6·10^9 + 1) / (5·10^12 + 1,000)) micro-USDC = 5,999.999999.
  EXPECT_EQ(engine_.vault()->value_of(kCarol, *engine_.vault_equity()), money("5999.999999"));
}

TEST_F(EngineVaultTest, TheBackstopRefusesWhatWouldLeaveTheVaultBelowMaintenance) {
  alice_long();
  set_prices("44000");
  // An empty vault would hold the long with 1,000 of equity against 3,300 of requirement.
  rejected(BackstopTakeover{kAliceMain}, Status::insufficient_margin);
  // Below zero equity it is the waterfall's case, not the vault's.
  set_prices("43000");
  rejected(BackstopTakeover{kAliceMain}, Status::account_bankrupt);
}

TEST_F(EngineVaultTest, VaultWithdrawalsAreGatedAfterBadDebt) {
  add_carol(20'000);
  ok(VaultDeposit{kCarol, kCarolMain, Amount::from_raw(usdc(5'000))});
  ok(VaultRequestWithdrawal{kCarol, shares(1'000)});
  now_ += kHour;
  set_prices("50000");
  alice_long();
  set_prices("43000");  // Alice's equity −500
  ok(ResolveBankruptcy{kAliceMain});
  rejected(VaultWithdraw{kCarol, kCarolMain}, Status::withdrawals_gated);
}

TEST_F(EngineVaultTest, SnapshotAndReplayCarryTheVault) {
  add_carol(20'000);
  ok(VaultDeposit{kCarol, kCarolMain, Amount::from_raw(usdc(5'000))});
  ok(VaultRequestWithdrawal{kCarol, shares(1'000)});
  alice_long();
  set_prices("44000");
  ok(BackstopTakeover{kAliceMain});
  expect_replay_and_restore_match();
  Result<Engine> restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(*restored->vault(), *engine_.vault());
  EXPECT_EQ(restored->options(), engine_.options());
}

}  // namespace
}  // namespace ballast
