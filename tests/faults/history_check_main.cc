// SPDX-License-Identifier: Apache-2.0
// optimystic-history-check HISTORY [--bank-total N]: checks a fault-suite history file
// (tests/faults/history.h) and prints its summary. Exit status: 0 when nothing was lost and
// nothing violated, 1 when something was, 2 when the file cannot be read.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "faults/checker.h"
#include "faults/history.h"

int main(int argc, char** argv) {
  using namespace optimystic::faults;  // NOLINT(build/namespaces): a tool's main
  std::string path;
  CheckOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--bank-total" && i + 1 < argc) {
      char* end = nullptr;
      const long long total = std::strtoll(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0') {
        std::cerr << "optimystic-history-check: --bank-total: '" << argv[i]
                  << "' is not an integer\n";
        return 2;
      }
      options.bank_total = total;
    } else if (path.empty() && !arg.empty() && arg[0] != '-') {
      path = arg;
    } else {
      std::cerr << "usage: optimystic-history-check HISTORY [--bank-total N]\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: optimystic-history-check HISTORY [--bank-total N]\n";
    return 2;
  }
  std::ifstream in(path);
  if (!in) {
    std::cerr << "optimystic-history-check: cannot open " << path << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto events = ParseHistory(text.str(), path);
  if (!events) {
    std::cerr << "optimystic-history-check: " << events.error().message() << "\n";
    return 2;
  }
  auto operations = PairOperations(*events);
  if (!operations) {
    std::cerr << "optimystic-history-check: " << path << ": " << operations.error().message()
              << "\n";
    return 2;
  }
  const CheckSummary summary = CheckHistory(*operations, options);
  std::cout << FormatSummary(summary);
  return summary.ok() ? 0 : 1;
}
