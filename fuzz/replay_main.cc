// Replays fuzz inputs through a fuzz target without libFuzzer, so that every build (g++
// release, g++ ASan+UBSan) runs fuzz/regressions/<target>/ and fuzz/corpus/<target>/ as a test:
//
//   <target>_replay [--allow-empty] DIR_OR_FILE...
//
// Every regular file under each argument (directories are walked recursively, in sorted order;
// names starting with '.' or ending in ".md" are skipped) is read into a buffer of exactly its
// size and passed to LLVMFuzzerTestOneInput. Each path is printed before it runs, so the last
// line before a crash names the input. Exit status: 0 when every input ran, 1 when an argument
// does not exist or nothing at all was run (a replay that runs nothing cannot fail), unless
// --allow-empty (fuzz/regressions/<target>/ is empty while nothing has failed).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool Skipped(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || p.extension() == ".md";
}

bool RunFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // An exactly-sized heap buffer: a read one past the end is a heap overflow under ASan.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), input.size());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t ran = 0;
  bool ok = true;
  bool allow_empty = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--allow-empty") {
      allow_empty = true;
      continue;
    }
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_regular_file(arg, ec)) {
      ok = RunFile(arg) && ok;
      ++ran;
      continue;
    }
    if (!std::filesystem::is_directory(arg, ec)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      ok = false;
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(arg, ec)) {
      if (e.is_regular_file() && !Skipped(e.path())) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      ok = RunFile(f) && ok;
      ++ran;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs\n", ran);
  if (ran == 0 && !allow_empty) {
    std::fprintf(stderr, "replay: nothing to run\n");
    return 1;
  }
  return ok ? 0 : 1;
}
