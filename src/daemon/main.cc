// nvgred: the live NVGRE endpoint (README "nvgred"). Skeleton: filled in by the datapath work.
#include <cstdio>

int main() {
  std::fprintf(stderr, "nvgred: not built yet\n");
  return 2;
}
