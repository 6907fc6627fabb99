#include "ballast/engine/engine.hpp"

#include <algorithm>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/risk_codec.hpp"

namespace ballast {
namespace {

constexpr std::uint32_t kSnapshotMagic = 0x54534c42;  // "BLST" little-endian
// 2: the risk configuration, the engine options (and, later in the same version, prices and
// positions) joined the state. Version 1 snapshots are not read: their bytes re-encode
// differently, so their recorded hash could not be verified anyway.
constexpr std::uint32_t kSnapshotVersion = 2;
Status amount_shape(Amount amount) {
  if (amount.is_zero()) return Status::amount_zero;
  if (amount.is_negative()) return Status::amount_negative;
  return Status::ok;
}

// The checks for one event kind, each written in Status precedence order.
class Validator {
 public:
  explicit Validator(const Ledger& ledger) : ledger_(ledger) {}

  Status operator()(const ListAsset& e) const {
    if (!asset_symbol_valid(e.symbol)) return Status::symbol_invalid;
    if (e.decimals > kMaxDecimals) return Status::decimals_invalid;
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    if (ledger_.find_asset(e.asset) != nullptr) return Status::asset_exists;
    if (ledger_.symbol_listed(e.symbol)) return Status::symbol_exists;
    return Status::ok;
  }
  Status operator()(const SetAssetFlags& e) const {
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    return ledger_.find_asset(e.asset) == nullptr ? Status::asset_unknown : Status::ok;
  }
  Status operator()(const CreateAccount& e) const {
    if (e.account.value < kFirstUserId) return Status::account_id_reserved;
    if (ledger_.has_account(e.account)) return Status::account_exists;
    return Status::ok;
  }
  Status operator()(const CreateSubAccount& e) const {
    if (e.mode != MarginMode::cross && e.mode != MarginMode::isolated) return Status::mode_invalid;
    if (e.sub_account.value < kFirstUserId) return Status::account_id_reserved;
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    if (ledger_.find_sub_account(e.sub_account) != nullptr) return Status::sub_account_exists;
    return Status::ok;
  }
  Status operator()(const Deposit& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetDeposits) == 0) return Status::deposits_disabled;
    if (!ledger_.deposit_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const Withdraw& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetWithdrawals) == 0) return Status::withdrawals_disabled;
    if (e.amount > ledger_.free_balance(e.sub_account, e.asset)) {
      return Status::insufficient_balance;
    }
    if (!ledger_.withdraw_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const Transfer& e) const {
    if (const Status s = amount_shape(e.amount); s != Status::ok) return s;
    if (e.from == e.to) return Status::same_sub_account;
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.from, e.asset, e.amount, asset); s != Status::ok) {
      return s;
    }
    const SubAccount* to = ledger_.find_sub_account(e.to);
    if (to == nullptr) return Status::to_sub_account_unknown;
    if (to->owner != e.account) return Status::to_sub_account_foreign;
    if ((asset->flags & kAssetTransfers) == 0) return Status::transfers_disabled;
    if (e.amount > ledger_.free_balance(e.from, e.asset)) return Status::insufficient_balance;
    if (!ledger_.transfer_fits(e.to, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }

 private:
  // Shared checks of a value movement out of or into a sub-account the actor must own.
  Status owned_move(AccountId account, SubAccountId sub_account_id, AssetId asset_id,
                    Amount amount, const Asset*& asset) const {
    if (const Status s = amount_shape(amount); s != Status::ok) return s;
    asset = ledger_.find_asset(asset_id);
    if (asset == nullptr) return Status::asset_unknown;
    if (!ledger_.has_account(account)) return Status::account_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(sub_account_id);
    if (sub_account == nullptr) return Status::sub_account_unknown;
    if (sub_account->owner != account) return Status::sub_account_foreign;
    return Status::ok;
  }

  const Ledger& ledger_;
};

class Executor {
 public:
  explicit Executor(Ledger& ledger) : ledger_(ledger) {}

  void operator()(const ListAsset& e) { ledger_.list_asset(e.asset, e.symbol, e.decimals, e.flags); }
  void operator()(const SetAssetFlags& e) { ledger_.set_asset_flags(e.asset, e.flags); }
  void operator()(const CreateAccount& e) { ledger_.create_account(e.account); }
  void operator()(const CreateSubAccount& e) {
    ledger_.create_sub_account(e.sub_account, e.account, e.mode);
  }
  void operator()(const Deposit& e) { ledger_.deposit(e.sub_account, e.asset, e.amount); }
  void operator()(const Withdraw& e) { ledger_.withdraw(e.sub_account, e.asset, e.amount); }
  void operator()(const Transfer& e) { ledger_.transfer(e.from, e.to, e.asset, e.amount); }

 private:
  Ledger& ledger_;
};

Error snapshot_error(std::string_view what) {
  return make_error(ErrorCode::corrupt, "engine snapshot: " + std::string(what));
}

}  // namespace

Engine::Engine(margin::RiskConfig risk, EngineOptions options)
    : has_risk_(true), risk_(std::move(risk)), options_(options) {
  BALLAST_ASSERT(risk_.validate().ok() && risk_.pnl.validate().ok());
  BALLAST_ASSERT(options_.price_max_age_ns > 0);
}

Result<Engine> Engine::make(margin::RiskConfig risk, EngineOptions options) {
  if (Outcome valid = risk.validate(); !valid) return std::move(valid).error();
  if (Outcome valid = risk.pnl.validate(); !valid) {
    return make_error(ErrorCode::invalid_input, "pnl policy: " + valid.error().message);
  }
  if (options.price_max_age_ns <= 0) {
    return make_error(ErrorCode::invalid_input, "price_max_age_ns must be positive, got " +
                                                    std::to_string(options.price_max_age_ns));
  }
  return Engine(std::move(risk), options);
}

Status Engine::apply(const Event& event) {
  scratch_.clear();
  encode_event_into(event, scratch_);
  const std::uint64_t fingerprint = fingerprint64(scratch_.bytes());
  const Status status = validate(event, fingerprint);
  if (status != Status::ok) {
    return status;
  }
  execute(event.body);
  clock_ns_ = event.timestamp_ns;
  applied_.emplace(event.id, fingerprint);
  return Status::ok;
}

Status Engine::validate(const Event& event, std::uint64_t fingerprint) const {
  if (event.id.value == 0) return Status::id_zero;
  if (event.timestamp_ns <= 0) return Status::timestamp_invalid;
  if (const auto seen = applied_.find(event.id); seen != applied_.end()) {
    return seen->second == fingerprint ? Status::exists : Status::id_reused;
  }
  if (event.timestamp_ns < clock_ns_) return Status::timestamp_regressed;
  return std::visit(Validator(ledger_), event.body);
}

void Engine::execute(const EventBody& body) { std::visit(Executor(ledger_), body); }

Digest Engine::state_hash() const { return sha256(snapshot()); }

std::string Engine::snapshot() const {
  ByteWriter out;
  out.u32(kSnapshotMagic);
  out.u32(kSnapshotVersion);
  out.i64(clock_ns_);
  std::vector<std::pair<EventId, std::uint64_t>> applied(applied_.begin(), applied_.end());
  std::sort(applied.begin(), applied.end());
  out.u64(applied.size());
  for (const auto& [id, fingerprint] : applied) {
    out.u64(id.value);
    out.u64(fingerprint);
  }
  ledger_.encode(out);
  out.u8(has_risk_ ? 1 : 0);
  if (has_risk_) encode_risk_config(out, risk_);
  out.i64(options_.price_max_age_ns);
  return out.take();
}

Result<Engine> Engine::restore(std::string_view snapshot) {
  ByteReader in(snapshot);
  const auto magic = in.u32();
  const auto version = in.u32();
  const auto clock = in.i64();
  if (!magic || *magic != kSnapshotMagic) return snapshot_error("not a Ballast snapshot");
  if (!version || *version != kSnapshotVersion) return snapshot_error("unsupported version");
  if (!clock || *clock < 0) return snapshot_error("bad clock");
  Engine engine;
  engine.clock_ns_ = *clock;
  return restore_idempotency(in, std::move(engine));
}

Result<Engine> Engine::restore_idempotency(ByteReader& in, Engine engine) {
  const auto count = in.u64();
  if (!count || *count > in.remaining() / 16) return snapshot_error("bad idempotency count");
  engine.applied_.reserve(*count);
  EventId previous{0};
  for (std::uint64_t i = 0; i < *count; ++i) {
    const auto id = in.u64();
    const auto fingerprint = in.u64();
    if (!id || !fingerprint || EventId{*id} <= previous) {
      return snapshot_error("idempotency ids not in strictly increasing order");
    }
    previous = EventId{*id};
    engine.applied_.emplace(previous, *fingerprint);
  }
  auto ledger = Ledger::decode(in);
  if (!ledger) return std::move(ledger).error();
  engine.ledger_ = std::move(*ledger);
  return restore_risk(in, std::move(engine));
}

Result<Engine> Engine::restore_risk(ByteReader& in, Engine engine) {
  const auto has_risk = in.u8();
  if (!has_risk || *has_risk > 1) return snapshot_error("bad risk configuration flag");
  engine.has_risk_ = *has_risk == 1;
  if (engine.has_risk_) {
    auto risk = decode_risk_config(in);
    if (!risk) return snapshot_error(risk.error().message);
    engine.risk_ = std::move(*risk);
  }
  const auto max_age = in.i64();
  if (!max_age || *max_age <= 0) return snapshot_error("bad price_max_age_ns");
  engine.options_.price_max_age_ns = *max_age;
  if (!in.at_end()) return snapshot_error("trailing bytes");
  return engine;
}

}  // namespace ballast
