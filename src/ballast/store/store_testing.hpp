#pragma once
// Helpers shared by the store's tests, crash writer and benchmarks (not part of the library).

#include <stdlib.h>  // mkdtemp (POSIX)

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/engine/sample_venue.hpp"

namespace ballast::testing {

// A fresh directory under the system's temp dir, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ballast-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The first `count` events of a small sample venue (setup first, then activity with some
// deliberately invalid events): the same events for the same arguments, everywhere.
inline std::vector<Event> sample_events(std::uint64_t count, std::uint64_t seed = 7,
                                        std::uint32_t accounts = 10) {
  SampleVenueOptions options;
  options.seed = seed;
  options.accounts = accounts;
  options.activity_events = count;  // more than enough: setup comes first
  options.invalid_one_in = 5;
  SampleVenue venue(options);
  std::vector<Event> events;
  events.reserve(count);
  while (events.size() < count) {
    events.push_back(venue.next());
  }
  return events;
}

}  // namespace ballast::testing
