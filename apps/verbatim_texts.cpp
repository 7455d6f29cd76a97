#include "apps/verbatim_texts.h"

namespace qwen3::cli {

const CLI::App* find_subcommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->check_name(name)) return s;
  }
  return nullptr;
}

void VerbatimTexts::add_to(CLI::App& cmd, std::vector<std::string>* texts, const std::string& help) {
  cmd.add_option("texts", ignored_, help + "; taken as typed (use -- before texts that start with '-')");
  targets_[&cmd] = texts;
}

std::vector<std::string> VerbatimTexts::take_from(const CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> kept;
  int i = 1;
  // up to and including the subcommand's name
  const CLI::App* sub = nullptr;
  for (; i < argc && sub == nullptr; ++i) {
    kept.emplace_back(argv[i]);
    sub = find_subcommand(app, argv[i]);
  }
  const auto target = sub ? targets_.find(sub) : targets_.end();
  if (target == targets_.end()) {  // no subcommand that takes texts: CLI11 sees everything
    for (; i < argc; ++i) kept.emplace_back(argv[i]);
    return kept;
  }
  std::vector<std::string>& texts = *target->second;
  texts.clear();
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) texts.emplace_back(argv[i]);
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      kept.push_back(a);
      // "--dim 64" takes the next argument as its value; "--dim=64" and flags do not
      const CLI::Option* opt = a.find('=') == std::string::npos ? sub->get_option_no_throw(a) : nullptr;
      if (opt != nullptr && opt->get_type_size_max() > 0 && opt->get_expected_max() > 0 && i + 1 < argc) {
        kept.emplace_back(argv[++i]);
      }
      continue;
    }
    texts.push_back(a);
  }
  return kept;
}

}  // namespace qwen3::cli
