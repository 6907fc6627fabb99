// ballast: the command line. One thin file per subcommand; the work is in the library.

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "ballast/version.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace ballast::cli;
  CLI::App app{"Ballast: a deterministic margin, liquidation and capital-allocation engine.\n"
               "Exit status: 0 success, 1 domain failure, 2 bad input."};
  app.set_version_flag("--version", std::string("ballast ") + ballast::kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::map<const CLI::App*, Runner> runners;
  for (auto add : {add_demo, add_apply, add_replay, add_sample, add_price, add_margin, add_simulate, add_sweep}) {
    Runner runner = add(app);
    runners.emplace(app.get_subcommands({}).back(), std::move(runner));  // the one just added
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitBadInput;
  }
  for (const CLI::App* chosen : app.get_subcommands()) {
    return runners.at(chosen)();
  }
  return kExitBadInput;
}
