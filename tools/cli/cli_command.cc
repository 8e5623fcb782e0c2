// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_command.h"

#include <boost/program_options.hpp>

#include <exception>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace optimystic::tools::cli {

namespace {

namespace po = boost::program_options;

struct VerbSpec {
  Verb verb;
  const char* group;  // "tree", or "" for a one-word command
  const char* name;
  std::vector<const char*> operands;  // what the positional arguments are, for messages
  std::set<std::string> options;      // the command's own options
};

const std::vector<VerbSpec>& Verbs() {
  static const std::vector<VerbSpec> verbs = {
      {Verb::kTreePut, "tree", "put", {"COLLECTION", "KEY", "ENTRY"}, {}},
      {Verb::kTreeGet, "tree", "get", {"COLLECTION", "KEY"}, {}},
      {Verb::kTreeRange, "tree", "range", {"COLLECTION"}, {"from", "to", "desc", "limit"}},
      {Verb::kTreeDelete, "tree", "delete", {"COLLECTION", "KEY"}, {}},
      {Verb::kTreeCount, "tree", "count", {"COLLECTION"}, {}},
      {Verb::kDiaryAppend, "diary", "append", {"COLLECTION", "ENTRY"}, {}},
      {Verb::kDiaryRead,
       "diary",
       "read",
       {"COLLECTION"},
       {"desc", "limit", "follow", "interval-ms"}},
      {Verb::kCounterAdd, "counter", "add", {"COLLECTION", "N"}, {}},
      {Verb::kCounterGet, "counter", "get", {"COLLECTION"}, {}},
      {Verb::kImport, "", "import", {"COLLECTION", "FILE"}, {"key", "batch"}},
      {Verb::kTxn, "", "txn", {"FILE"}, {}},
      {Verb::kVerify, "", "verify", {"COLLECTION"}, {}},
      {Verb::kStatus, "", "status", {}, {}},
      {Verb::kClusterLeave, "cluster", "leave", {}, {}},
  };
  return verbs;
}

// Options every command takes.
const std::set<std::string>& GlobalOptions() {
  static const std::set<std::string> options = {
      "help", "node", "json", "string-keys", "timeout-ms", "tls-ca", "tls-cert", "tls-key", "args"};
  return options;
}

po::options_description Options() {
  po::options_description options;
  options.add_options()                              //
      ("help", "")                                   //
      ("node", po::value<std::string>(), "")         //
      ("json", po::bool_switch(), "")                //
      ("string-keys", po::bool_switch(), "")         //
      ("timeout-ms", po::value<std::string>(), "")   //
      ("tls-ca", po::value<std::string>(), "")       //
      ("tls-cert", po::value<std::string>(), "")     //
      ("tls-key", po::value<std::string>(), "")      //
      ("from", po::value<std::string>(), "")         //
      ("to", po::value<std::string>(), "")           //
      ("desc", po::bool_switch(), "")                //
      ("limit", po::value<std::string>(), "")        //
      ("follow", po::bool_switch(), "")              //
      ("interval-ms", po::value<std::string>(), "")  //
      ("key", po::value<std::string>(), "")          //
      ("batch", po::value<std::string>(), "")        //
      ("args", po::value<std::vector<std::string>>(), "");
  return options;
}

// The parsed options, or the parser's complaint. The one place Boost's exceptions are caught.
Result<po::variables_map> RunParser(const std::vector<std::string>& args) noexcept {
  try {
    po::options_description options = Options();
    po::positional_options_description positional;
    positional.add("args", -1);
    // Long options only, so that "-5" is a number and not an option.
    const int style = po::command_line_style::allow_long |
                      po::command_line_style::long_allow_adjacent |
                      po::command_line_style::long_allow_next;
    po::variables_map vm;
    po::store(
        po::command_line_parser(args).options(options).positional(positional).style(style).run(),
        vm);
    po::notify(vm);
    return vm;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(e.what());
  }
}

bool IsSet(const po::variables_map& vm, const std::string& name) {
  auto it = vm.find(name);
  if (it == vm.end() || it->second.defaulted()) return false;
  if (const bool* flag = boost::any_cast<bool>(&it->second.value())) return *flag;
  return true;
}

std::string Text(const po::variables_map& vm, const std::string& name) {
  return vm[name].as<std::string>();
}

std::string CommandName(const VerbSpec& spec) {
  return *spec.group == '\0' ? spec.name : std::string(spec.group) + " " + spec.name;
}

// Finds the command the first words name; `used` is how many words it took.
Result<const VerbSpec*> FindVerb(const std::vector<std::string>& words, size_t& used) {
  if (words.empty()) return Status::InvalidArgument("no command given");
  bool group_known = false;
  for (const VerbSpec& spec : Verbs()) {
    if (*spec.group == '\0' && words[0] == spec.name) {
      used = 1;
      return &spec;
    }
    if (*spec.group != '\0' && words[0] == spec.group) {
      group_known = true;
      if (words.size() > 1 && words[1] == spec.name) {
        used = 2;
        return &spec;
      }
    }
  }
  if (group_known) {
    return Status::InvalidArgument(words.size() > 1
                                       ? "unknown " + words[0] + " command '" + words[1] + "'"
                                       : "'" + words[0] + "' needs a command");
  }
  return Status::InvalidArgument("unknown command '" + words[0] + "'");
}

Status CheckNodeUrl(const std::string& url) {
  const std::string_view prefix = "tcp://";
  const size_t colon = url.rfind(':');
  if (url.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size() + 1) {
    return Status::InvalidArgument("--node: expected tcp://HOST:PORT, got '" + url + "'");
  }
  Result<uint64_t> port = ParseCount(url.substr(colon + 1), "--node port", 1, 65535);
  return port ? Status::Ok() : port.error();
}

// Reads the command's operands (the words after its name) into `cmd`.
Status ReadOperands(const VerbSpec& spec, const std::vector<std::string>& ops, CliCommand& cmd) {
  const std::string name = CommandName(spec);
  if (ops.size() != spec.operands.size()) {
    std::string usage = name;
    for (const char* op : spec.operands) usage += std::string(" ") + op;
    return Status::InvalidArgument(name + ": expected " + std::to_string(spec.operands.size()) +
                                   " argument(s), got " + std::to_string(ops.size()) +
                                   " (usage: optimystic " + usage + ")");
  }
  auto what = [&](size_t i) {
    return name + ": " + spec.operands[i] + " (argument " + std::to_string(i + 1) + ")";
  };
  if (!ops.empty() && ops[0].empty()) return Status::InvalidArgument(what(0) + ": empty");
  if (spec.verb == Verb::kTxn) {
    cmd.file = ops[0];
    return Status::Ok();
  }
  if (!ops.empty()) cmd.collection = ops[0];
  switch (spec.verb) {
    case Verb::kTreePut: {
      cmd.key = ParseKey(ops[1], cmd.key_mode);
      OPTIMYSTIC_ASSIGN_OR_RETURN(cmd.value, ParseJsonArgument(ops[2], what(2)));
      // A tree stores [key, null] as a delete; `put` saying ok for it would hide that.
      if (cmd.value.is_null()) {
        return Status::InvalidArgument(what(2) + ": null would delete KEY; use 'tree delete'");
      }
      break;
    }
    case Verb::kTreeGet:
    case Verb::kTreeDelete:
      cmd.key = ParseKey(ops[1], cmd.key_mode);
      break;
    case Verb::kDiaryAppend: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(cmd.value, ParseJsonArgument(ops[1], what(1)));
      break;
    }
    case Verb::kCounterAdd: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(cmd.delta, ParseInteger(ops[1], what(1)));
      break;
    }
    case Verb::kImport:
      cmd.file = ops[1];
      break;
    default:
      break;
  }
  return Status::Ok();
}

// Reads the command's own options into `cmd`, refusing those of other commands.
Status ReadOptions(const VerbSpec& spec, const po::variables_map& vm, CliCommand& cmd) {
  for (const auto& [option, value] : vm) {
    if (!IsSet(vm, option) || GlobalOptions().count(option) || spec.options.count(option)) {
      continue;
    }
    return Status::InvalidArgument("--" + option + " does not apply to '" + CommandName(spec) +
                                   "'");
  }
  if (IsSet(vm, "from")) cmd.from = ParseKey(Text(vm, "from"), cmd.key_mode);
  if (IsSet(vm, "to")) cmd.to = ParseKey(Text(vm, "to"), cmd.key_mode);
  cmd.desc = IsSet(vm, "desc");
  cmd.follow = IsSet(vm, "follow");
  if (IsSet(vm, "limit")) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(cmd.limit, ParseCount(Text(vm, "limit"), "--limit", 1,
                                                      std::numeric_limits<uint32_t>::max()));
  }
  if (IsSet(vm, "interval-ms")) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(uint64_t ms,
                                ParseCount(Text(vm, "interval-ms"), "--interval-ms", 10, 3600000));
    cmd.interval_ms = static_cast<int64_t>(ms);
  }
  if (IsSet(vm, "interval-ms") && !cmd.follow) {
    return Status::InvalidArgument("--interval-ms applies only with --follow");
  }
  if (cmd.follow && cmd.desc) {
    return Status::InvalidArgument("--follow reads forward; it does not go with --desc");
  }
  if (IsSet(vm, "key")) {
    cmd.key_field = Text(vm, "key");
    if (cmd.key_field.empty()) return Status::InvalidArgument("--key: empty field name");
  }
  if (IsSet(vm, "batch")) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(cmd.batch, ParseCount(Text(vm, "batch"), "--batch", 1, 100000));
  }
  return Status::Ok();
}

}  // namespace

Result<CliCommand> ParseCommandLine(const std::vector<std::string>& args,
                                    const std::optional<std::string>& env_node) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(po::variables_map vm, RunParser(args));
  CliCommand cmd;
  if (IsSet(vm, "help")) {
    cmd.verb = Verb::kHelp;
    return cmd;
  }
  if (IsSet(vm, "node")) {
    cmd.node_url = Text(vm, "node");
  } else if (env_node && !env_node->empty()) {
    cmd.node_url = *env_node;
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckNodeUrl(cmd.node_url));
  cmd.json = IsSet(vm, "json");
  cmd.key_mode = IsSet(vm, "string-keys") ? KeyMode::kAlwaysText : KeyMode::kNumbersAsNumbers;
  if (IsSet(vm, "timeout-ms")) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(uint64_t ms,
                                ParseCount(Text(vm, "timeout-ms"), "--timeout-ms", 1, 3600000));
    cmd.timeout_ms = static_cast<int64_t>(ms);
  }
  const int tls_given = IsSet(vm, "tls-ca") + IsSet(vm, "tls-cert") + IsSet(vm, "tls-key");
  if (tls_given != 0 && tls_given != 3) {
    return Status::InvalidArgument("--tls-ca, --tls-cert and --tls-key go together");
  }
  if (tls_given == 3) {
    cmd.tls_ca = Text(vm, "tls-ca");
    cmd.tls_cert = Text(vm, "tls-cert");
    cmd.tls_key = Text(vm, "tls-key");
  }
  const std::vector<std::string> words =
      vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
  size_t used = 0;
  OPTIMYSTIC_ASSIGN_OR_RETURN(const VerbSpec* spec, FindVerb(words, used));
  cmd.verb = spec->verb;
  OPTIMYSTIC_RETURN_IF_ERROR(ReadOptions(*spec, vm, cmd));
  OPTIMYSTIC_RETURN_IF_ERROR(
      ReadOperands(*spec, std::vector<std::string>(words.begin() + used, words.end()), cmd));
  return cmd;
}

std::string UsageText() {
  return R"(usage: optimystic [--node URL] [--json] [--string-keys] [--timeout-ms MS] [--tls-ca FILE
                  --tls-cert FILE --tls-key FILE] COMMAND ...

Talks to an optimystic node (default tcp://127.0.0.1:7400, or $OPTIMYSTIC_NODE).

Commands:
  tree put COLLECTION KEY ENTRY      set KEY to the JSON document ENTRY (creates the tree)
  tree get COLLECTION KEY            print KEY's entry
  tree range COLLECTION [--from KEY] [--to KEY] [--desc] [--limit N]
                                     print entries in key order, FROM <= key < TO
  tree delete COLLECTION KEY         remove KEY
  tree count COLLECTION              print the number of entries
  diary append COLLECTION ENTRY      append the JSON document ENTRY (creates the diary)
  diary read COLLECTION [--desc] [--limit N] [--follow [--interval-ms MS]]
                                     print entries; --follow keeps printing new ones
  counter add COLLECTION N           add the integer N (may be negative; creates the counter)
  counter get COLLECTION             print the counter's value
  import COLLECTION FILE.jsonl [--key FIELD] [--batch N]
                                     put every line's object into a tree under its FIELD
                                     (default "id"), N entries per commit (default 100)
  txn FILE.json                      run FILE's statements, a JSON array of
                                     {"collectionId": C, "actions": [...]}, as one
                                     transaction over existing collections
  verify COLLECTION                  check the collection's log hash chain
  status                             show the node's version, collections and cluster
  cluster leave                      hand the node's ranges on to their next owners and
                                     leave the cluster; waits until the node has stopped

Options:
  --node URL        the node, tcp://HOST:PORT
  --json            print JSON for scripts instead of text
  --string-keys     keep keys that look like numbers as text
  --timeout-ms MS   give up on a request after MS milliseconds (default 10000)
  --tls-ca FILE --tls-cert FILE --tls-key FILE
                    talk TLS to a node whose transport has a tls: block: the cluster CA,
                    and a certificate it signed with its key (all three together)
  --help            print this text

Exit status: 0 ok, 1 the node refused the request, 2 usage or bad input,
3 the node could not be reached. See docs/cli.md.
)";
}

}  // namespace optimystic::tools::cli
