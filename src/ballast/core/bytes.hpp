#pragma once
// Little-endian byte encoding for the event codec, log records and snapshots. The layout is
// explicit (no struct memcpy), so stored bytes mean the same on every machine and compiler.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ballast {

__extension__ using bytes_i128 = __int128;            // fixed.hpp's int128, without its header
__extension__ using bytes_u128 = unsigned __int128;

class ByteWriter {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void u16(std::uint16_t value) { put(value, 2); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u64(std::uint64_t value) { put(value, 8); }
  void i64(std::int64_t value) { put(static_cast<std::uint64_t>(value), 8); }
  // A 128-bit integer as its high then its low 64 bits.
  void i128(bytes_i128 value) {
    u64(static_cast<std::uint64_t>(static_cast<bytes_u128>(value) >> 64));
    u64(static_cast<std::uint64_t>(value));
  }
  // A length-prefixed (u32) byte string.
  void text(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    bytes_.append(value);
  }
  void raw(std::string_view value) { bytes_.append(value); }

  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }
  void clear() { bytes_.clear(); }

 private:
  void put(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) {
      bytes_.push_back(static_cast<char>((value >> (8 * i)) & 0xffu));
    }
  }
  std::string bytes_;
};

// Reads what ByteWriter wrote. Each read returns nullopt past the end; offset() says where a
// decoder stopped, so its error can name the byte.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<std::uint8_t> u8() {
    const auto value = get(1);
    return value ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(*value)) : std::nullopt;
  }
  std::optional<std::uint16_t> u16() {
    const auto value = get(2);
    return value ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*value)) : std::nullopt;
  }
  std::optional<std::uint32_t> u32() {
    const auto value = get(4);
    return value ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*value)) : std::nullopt;
  }
  std::optional<std::uint64_t> u64() { return get(8); }
  std::optional<std::int64_t> i64() {
    const auto value = get(8);
    return value ? std::optional<std::int64_t>(static_cast<std::int64_t>(*value)) : std::nullopt;
  }
  std::optional<bytes_i128> i128() {
    const auto high = get(8);
    const auto low = high ? get(8) : std::nullopt;
    if (!low) {
      return std::nullopt;
    }
    return static_cast<bytes_i128>((static_cast<bytes_u128>(*high) << 64) | *low);
  }
  std::optional<std::string_view> text(std::size_t length_max) {
    const auto length = u32();
    if (!length || *length > length_max || *length > remaining()) {
      return std::nullopt;
    }
    const auto value = bytes_.substr(offset_, *length);
    offset_ += *length;
    return value;
  }

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }

 private:
  std::optional<std::uint64_t> get(std::size_t width) {
    if (remaining() < width) {
      return std::nullopt;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[offset_ + i]))
               << (8 * i);
    }
    offset_ += width;
    return value;
  }
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

}  // namespace ballast
