// Classifies the frames of a capture with the installed library; prints "nvgre=<count>".
#include <cstdio>
#include <variant>

#include <nvgre/io/pcap_file.h>
#include <nvgre/wire/classifier.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto opened = nvgre::io::PcapReader::Open(argv[1]);
  if (std::holds_alternative<nvgre::io::IoError>(opened)) return 2;
  auto& reader = std::get<nvgre::io::PcapReader>(opened);
  nvgre::io::PacketRecord rec;
  int nvgre = 0;
  while (reader.Next(rec, nullptr) == nvgre::io::PcapReader::Status::kPacket) {
    nvgre += nvgre::wire::ClassifyFrame(rec.data).is_nvgre();
  }
  std::printf("nvgre=%d\n", nvgre);
  return 0;
}
