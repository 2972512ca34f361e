// CaptureSet (in-memory pcap writer, digest, write_to) and read_ipv4_pcap (pcap input for replay),
// checked against independent readers (libpcap, libtins' FileSniffer) and against the committed
// fixtures written by libtins' PacketWriter.
#include "tunlab/capture/capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <tins/ethernetII.h>
#include <tins/icmp.h>
#include <tins/ip.h>
#include <tins/rawpdu.h>
#include <tins/sniffer.h>
#include <tins/udp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/wire/ethernet.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kFixtures = fs::path(TUNLAB_SOURCE_DIR) / "fixtures";

Bytes udp_packet(std::size_t payload_size, std::uint16_t id) {
  Tins::IP ip = Tins::IP("10.0.0.22", "10.0.0.12") / Tins::UDP(9000, 40000) /
                Tins::RawPDU(Bytes(payload_size, static_cast<std::uint8_t>(id)));
  ip.id(id);
  ip.ttl(64);
  return ip.serialize();
}

Bytes ethernet_frame(const Bytes& ip) {
  Tins::EthernetII frame = Tins::EthernetII("02:00:00:00:00:22", "02:00:00:00:00:12") / Tins::RawPDU(ip);
  frame.payload_type(ethertype::kIpv4);
  return frame.serialize();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A pcap built byte by byte, so the reader is tested on headers our writer never produces.
struct RawRecord {
  std::uint32_t sec = 0;
  std::uint32_t frac = 0;  // microseconds, or nanoseconds with the nanosecond magic
  Bytes bytes;
  std::uint32_t orig_len = 0;  // 0: same as bytes.size()
};

enum class ByteOrder { little, big };

Bytes handmade_pcap(std::uint32_t linktype, const std::vector<RawRecord>& records, std::uint32_t magic = 0xa1b2c3d4,
                    std::uint32_t snaplen = 65535, ByteOrder order = ByteOrder::little) {
  Bytes out;
  auto put = [&out, order](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      const int shift = order == ByteOrder::little ? 8 * i : 8 * (bytes - 1 - i);
      out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  };
  auto le32 = [&put](std::uint32_t v) { put(v, 4); };  // "le": the file's byte order
  auto le16 = [&put](std::uint16_t v) { put(v, 2); };
  le32(magic);
  le16(2);  // version 2.4
  le16(4);
  le32(0);
  le32(0);
  le32(snaplen);
  le32(linktype);
  for (const RawRecord& record : records) {
    le32(record.sec);
    le32(record.frac);
    le32(static_cast<std::uint32_t>(record.bytes.size()));
    le32(record.orig_len != 0 ? record.orig_len : static_cast<std::uint32_t>(record.bytes.size()));
    out.insert(out.end(), record.bytes.begin(), record.bytes.end());
  }
  return out;
}

class CaptureTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tunlab-capture_test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_file(const std::string& name, const Bytes& bytes) {
    fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  // The InputError message read_ipv4_pcap throws for `path`; fails the test if none is thrown.
  static std::string error_for(const fs::path& path) {
    try {
      read_ipv4_pcap(path);
    } catch (const InputError& error) {
      std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
      return message;
    }
    ADD_FAILURE() << "read_ipv4_pcap(" << path << ") did not throw";
    return {};
  }

  fs::path dir_;
};

// ---- CaptureSet ----------------------------------------------------------------------------

TEST_F(CaptureTest, LibpcapReadsBackExactBytesAndVirtualTimestamps) {
  CaptureSet set;
  std::size_t tun = set.open("left-tun0", LinkType::raw);
  const Bytes a = udp_packet(10, 1);
  const Bytes b = udp_packet(1372, 2);
  set.record(tun, 0, a);
  set.record(tun, 1'500'000, b);      // 1.5 ms
  set.record(tun, 3'000'000'999, a);  // 3 s + 999 ns: below microsecond resolution
  EXPECT_EQ(set.packet_count(tun), 3u);

  fs::path path = set.write_to(dir_).at("left-tun0");
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  ASSERT_NE(pcap, nullptr) << errbuf;
  EXPECT_EQ(pcap_datalink(pcap), DLT_RAW);
  EXPECT_EQ(pcap_snapshot(pcap), 65535);
  struct Seen {
    long sec;
    long usec;
    Bytes bytes;
  };
  std::vector<Seen> seen;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pcap, &header, &data) == 1) {
    EXPECT_EQ(header->caplen, header->len);
    seen.push_back({header->ts.tv_sec, header->ts.tv_usec, Bytes(data, data + header->caplen)});
  }
  pcap_close(pcap);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].sec, 0);
  EXPECT_EQ(seen[0].usec, 0);
  EXPECT_EQ(seen[1].sec, 0);
  EXPECT_EQ(seen[1].usec, 1500);
  EXPECT_EQ(seen[2].sec, 3);
  EXPECT_EQ(seen[2].usec, 0);
  EXPECT_EQ(seen[0].bytes, a);
  EXPECT_EQ(seen[1].bytes, b);
  EXPECT_EQ(seen[2].bytes, a);
}

TEST_F(CaptureTest, FileSnifferReadsBackRawAndEthernet) {
  CaptureSet set;
  std::size_t tun = set.open("left-tun0", LinkType::raw);
  std::size_t eth = set.open("left-eth0", LinkType::ethernet);
  const Bytes ip = udp_packet(200, 7);
  const Bytes frame = ethernet_frame(udp_packet(300, 8));
  set.record(tun, 2'000'000'000, ip);
  set.record(eth, 2'250'000'000, frame);
  auto paths = set.write_to(dir_);

  Tins::FileSniffer tun_sniffer(paths.at("left-tun0").string());
  Tins::Packet tun_packet = tun_sniffer.next_packet();
  ASSERT_TRUE(tun_packet);
  EXPECT_NE(tun_packet.pdu()->find_pdu<Tins::IP>(), nullptr);
  EXPECT_EQ(tun_packet.pdu()->serialize(), ip);
  EXPECT_EQ(tun_packet.timestamp().seconds(), 2);
  EXPECT_EQ(tun_packet.timestamp().microseconds(), 0);
  EXPECT_FALSE(tun_sniffer.next_packet());

  Tins::FileSniffer eth_sniffer(paths.at("left-eth0").string());
  Tins::Packet eth_packet = eth_sniffer.next_packet();
  ASSERT_TRUE(eth_packet);
  EXPECT_NE(eth_packet.pdu()->find_pdu<Tins::EthernetII>(), nullptr);
  EXPECT_EQ(eth_packet.pdu()->serialize(), frame);
  EXPECT_EQ(eth_packet.timestamp().seconds(), 2);
  EXPECT_EQ(eth_packet.timestamp().microseconds(), 250'000);
}

TEST_F(CaptureTest, FileHeaderSaysLinktypeRawAndEthernet) {
  CaptureSet set;
  std::size_t tun = set.open("a", LinkType::raw);
  std::size_t eth = set.open("b", LinkType::ethernet);
  Bytes tun_bytes = set.file_bytes(tun);
  Bytes eth_bytes = set.file_bytes(eth);
  // Global header only: magic (microseconds), v2.4, zone 0, sigfigs 0, snaplen 65535, linktype.
  EXPECT_EQ(tun_bytes, handmade_pcap(101, {}));
  EXPECT_EQ(eth_bytes, handmade_pcap(1, {}));
}

TEST_F(CaptureTest, WriteToNamesFilesAfterCapturesAndCreatesTheDirectory) {
  CaptureSet set;
  std::size_t right = set.open("right-tun0", LinkType::raw);
  std::size_t left = set.open("left-eth0", LinkType::ethernet);
  set.record(right, 5, udp_packet(1, 1));
  set.record(left, 6, ethernet_frame(udp_packet(2, 2)));

  fs::path out = dir_ / "nested" / "captures";
  auto paths = set.write_to(out);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths.begin()->first, "left-eth0");  // ordered by name, not by open()
  EXPECT_EQ(paths.at("left-eth0"), out / "left-eth0.pcap");
  EXPECT_EQ(paths.at("right-tun0"), out / "right-tun0.pcap");
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(out)) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names, (std::set<std::string>{"left-eth0.pcap", "right-tun0.pcap"}));
  Bytes expected = set.file_bytes(right);
  EXPECT_EQ(read_text(out / "right-tun0.pcap"), std::string(expected.begin(), expected.end()));
}

TEST_F(CaptureTest, OpenReturnsTheSameCaptureForTheSameName) {
  CaptureSet set;
  EXPECT_EQ(set.open("left-tun0", LinkType::raw), 0u);
  EXPECT_EQ(set.open("left-eth0", LinkType::ethernet), 1u);
  EXPECT_EQ(set.open("left-tun0", LinkType::raw), 0u);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.name(1), "left-eth0");
  EXPECT_THROW(set.open("left-tun0", LinkType::ethernet), std::invalid_argument);
  EXPECT_THROW(set.open("../escape", LinkType::raw), std::invalid_argument);
  EXPECT_THROW(set.open("", LinkType::raw), std::invalid_argument);
}

TEST_F(CaptureTest, FramesLongerThanTheSnaplenAreCutLikeARealCapture) {
  CaptureSet set;
  std::size_t eth = set.open("wan-eth0", LinkType::ethernet);
  set.record(eth, 0, Bytes(65535 + 14, 0xab));
  fs::path path = set.write_to(dir_).at("wan-eth0");
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  ASSERT_NE(pcap, nullptr) << errbuf;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  ASSERT_EQ(pcap_next_ex(pcap, &header, &data), 1) << pcap_geterr(pcap);
  EXPECT_EQ(header->caplen, 65535u);
  EXPECT_EQ(header->len, 65549u);
  pcap_close(pcap);
}

CaptureSet sample_set(std::uint8_t last_byte) {
  CaptureSet set;
  std::size_t tun = set.open("left-tun0", LinkType::raw);
  std::size_t eth = set.open("left-eth0", LinkType::ethernet);
  Bytes packet = udp_packet(50, 3);
  set.record(tun, 1000, packet);
  packet.back() = last_byte;
  set.record(eth, 2000, ethernet_frame(packet));
  return set;
}

TEST(CaptureDigest, IdenticalRunsGiveIdenticalDigests) {
  std::string digest = sample_set(0x42).digest();
  EXPECT_EQ(sample_set(0x42).digest(), digest);
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos) << digest;
}

TEST(CaptureDigest, OneDifferentByteChangesTheDigest) {
  EXPECT_NE(sample_set(0x42).digest(), sample_set(0x43).digest());
}

TEST(CaptureDigest, ATimestampChangesTheDigest) {
  CaptureSet a;
  CaptureSet b;
  a.record(a.open("x", LinkType::raw), 1'000, udp_packet(5, 5));
  b.record(b.open("x", LinkType::raw), 2'000, udp_packet(5, 5));
  EXPECT_NE(a.digest(), b.digest());
}

TEST(CaptureDigest, DigestIsOverCapturesInNameOrderNotOpenOrder) {
  CaptureSet ab;
  CaptureSet ba;
  ab.record(ab.open("a", LinkType::raw), 0, udp_packet(1, 1));
  ab.record(ab.open("b", LinkType::raw), 0, udp_packet(2, 2));
  ba.record(ba.open("b", LinkType::raw), 0, udp_packet(2, 2));
  ba.record(ba.open("a", LinkType::raw), 0, udp_packet(1, 1));
  EXPECT_EQ(ab.digest(), ba.digest());
}

TEST(CaptureDigest, EmptySetIsTheSha256OfNothing) {
  EXPECT_EQ(CaptureSet().digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CaptureDigest, DigestIsStableAcrossMoreRecords) {
  // Taking a digest flushes the stream; recording afterwards must still append, not rewrite.
  CaptureSet set = sample_set(1);
  std::string before = set.digest();
  set.record(0, 3000, udp_packet(9, 9));
  EXPECT_NE(set.digest(), before);
  EXPECT_EQ(set.packet_count(0), 2u);
  EXPECT_EQ(set.file_bytes(0).size(), 24u + (16u + 78u) + (16u + 37u));
}

// ---- streaming: files written as packets pass, the digest over the same bytes --------------

// SHA-256 of `bytes`, computed here independently of CaptureSet::digest().
std::string sha256_hex(const Bytes& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &md_len, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < md_len; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0x0f]);
  }
  return hex;
}

// Records enough to pass the writer's buffer several times over, in three captures opened out of
// name order, with packets of many sizes.
void fill(CaptureSet& set) {
  const std::size_t c = set.open("c-tun0", LinkType::raw);
  const std::size_t a = set.open("a-eth0", LinkType::ethernet);
  const std::size_t b = set.open("b-tun0", LinkType::raw);
  set.seal();
  for (std::uint16_t i = 0; i < 3000; ++i) {
    const Bytes packet = udp_packet(i % 700, i);
    set.record(c, i * 1000, packet);
    set.record(a, i * 1000 + 1, ethernet_frame(packet));
    if (i % 3 == 0) {
      set.record(b, i * 1000 + 2, packet);
    }
  }
}

TEST_F(CaptureTest, StreamingDigestEqualsTheDigestOfTheWholeFilesInNameOrder) {
  CaptureSet streamed;  // sealed: a-eth0 is hashed as it is written and never stored
  fill(streamed);
  CaptureSet on_disk(dir_ / "caps");  // sealed too, but every file kept
  fill(on_disk);
  const std::string on_disk_digest = on_disk.digest();  // also writes out what is buffered
  Bytes all;
  for (const char* name : {"a-eth0", "b-tun0", "c-tun0"}) {
    std::ifstream in(dir_ / "caps" / (std::string(name) + ".pcap"), std::ios::binary);
    const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    all.insert(all.end(), file.begin(), file.end());
  }
  EXPECT_GT(all.size(), 2u * 1024 * 1024);
  const std::string whole = sha256_hex(all);
  EXPECT_EQ(streamed.digest(), whole);
  EXPECT_EQ(on_disk_digest, whole);
}

std::size_t open_descriptors() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

TEST_F(CaptureTest, SmallCapturesWithoutADirectoryNeverTouchTheFileSystem) {
  const std::size_t before = open_descriptors();
  CaptureSet small;
  const std::size_t a = small.open("a-eth0", LinkType::raw);
  const std::size_t b = small.open("b-tun0", LinkType::raw);
  small.seal();
  const Bytes packet = udp_packet(100, 1);
  for (int i = 0; i < 100; ++i) {
    small.record(a, i, packet);
    small.record(b, i, packet);
  }
  // b-tun0 is kept (not first in name order): its bytes come back whole.
  const Bytes b_bytes = small.file_bytes(b);
  EXPECT_EQ(b_bytes.size(), 24u + 100u * (16u + packet.size()));
  EXPECT_FALSE(small.digest().empty());
  EXPECT_EQ(open_descriptors(), before);  // no temporary file was opened

  CaptureSet large;  // past the writer's buffer: the kept capture spills into one temporary file
  const std::size_t x = large.open("x", LinkType::raw);
  const std::size_t y = large.open("y", LinkType::raw);
  large.seal();
  for (int i = 0; i < 1000; ++i) {
    large.record(x, i, udp_packet(1000, 1));
    large.record(y, i, udp_packet(1000, 1));
  }
  // Reading the bytes back waits for the writer thread, which opens the temporary file with the
  // first chunk it takes: only then is the count certain.
  EXPECT_EQ(large.file_bytes(y).size(), 24u + 1000u * (16u + udp_packet(1000, 1).size()));
  EXPECT_EQ(open_descriptors(), before + 1);
}

TEST_F(CaptureTest, CaptureFilesGrowWhilePacketsAreRecorded) {
  CaptureSet set(dir_ / "caps");
  const std::size_t tun = set.open("left-tun0", LinkType::raw);
  set.seal();
  const fs::path file = dir_ / "caps" / "left-tun0.pcap";
  ASSERT_TRUE(fs::exists(file));
  const Bytes packet = udp_packet(1000, 1);
  constexpr std::size_t kRecords = 8000;  // ~8 MB: past the writer's chunk many times
  for (std::size_t i = 0; i < kRecords; ++i) {
    set.record(tun, static_cast<std::int64_t>(i), packet);
  }
  // Nothing was asked of the set since: what is on disk was written as the packets passed. The
  // background writer may still hold a bounded few chunks (8 waiting, 1 being written, the one
  // being filled: ~3.2 MB), never the whole run.
  EXPECT_GT(fs::file_size(file), 4u * 1024 * 1024);
  const auto paths = set.write_to(dir_ / "caps");  // the files are there already: no copy
  EXPECT_EQ(paths.at("left-tun0"), file);
  EXPECT_EQ(fs::file_size(file), 24u + kRecords * (16u + packet.size()));
}

// The capture writer hands full chunks to a background thread; a write that fails there must
// still reach the caller, naming the file, by the time the run asks for its captures.
TEST_F(CaptureTest, AWriteThatFailsInTheBackgroundIsReportedNamingTheFile) {
  if (!fs::exists("/dev/full")) {
    GTEST_SKIP() << "/dev/full is not available";
  }
  fs::create_directories(dir_ / "caps");
  fs::create_symlink("/dev/full", dir_ / "caps" / "full.pcap");  // every write: ENOSPC
  const Bytes packet = udp_packet(1000, 1);
  std::string message;
  try {
    CaptureSet set(dir_ / "caps");
    const std::size_t index = set.open("full", LinkType::raw);
    set.seal();
    for (int i = 0; i < 4000; ++i) {  // ~4 MB: many chunks
      set.record(index, i, packet);
    }
    (void)set.digest();
  } catch (const InputError& error) {
    message = error.what();
  }
  EXPECT_EQ(message, (dir_ / "caps" / "full.pcap").string() + ": cannot write: No space left on device");
}

// A set that spilled through the background writer can be replaced by another and still be used
// after being moved from: the writer thread goes after the captures that hand it chunks.
TEST_F(CaptureTest, MovingASetThatSpilledKeepsBothUsable) {
  const Bytes packet = udp_packet(1000, 1);
  auto spilled = [&packet] {
    CaptureSet set;
    const std::size_t index = set.open("big", LinkType::raw);
    for (int i = 0; i < 2000; ++i) {  // ~2 MB: several chunks through the writer thread
      set.record(index, i, packet);
    }
    return set;
  };
  CaptureSet target = spilled();
  const std::string digest = target.digest();
  target = spilled();  // the old captures and their writer go; the new ones stay
  EXPECT_EQ(target.digest(), digest);
  CaptureSet moved_to = std::move(target);
  EXPECT_EQ(moved_to.digest(), digest);
  const std::size_t index = target.open("big", LinkType::raw);  // NOLINT(bugprone-use-after-move)
  for (int i = 0; i < 2000; ++i) {
    target.record(index, i, packet);
  }
  EXPECT_EQ(target.digest(), digest);
}

TEST_F(CaptureTest, WrittenBytesEqualWhatLibpcapsDumperWrites) {
  // The writer assembles libpcap's format itself; pcap_dump is the oracle.
  for (const LinkType type : {LinkType::raw, LinkType::ethernet}) {
    CaptureSet set;
    const std::size_t index = set.open("x", type);
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(type == LinkType::raw ? DLT_RAW : DLT_EN10MB, 65535,
                                                        PCAP_TSTAMP_PRECISION_MICRO);
    ASSERT_NE(dead, nullptr);
    const fs::path path = dir_ / "oracle.pcap";
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(dumper, nullptr);
    const std::int64_t times[] = {0, 999, 1'000'000'001, 3'600'000'000'123, -1'500};
    for (std::size_t i = 0; i < std::size(times); ++i) {
      const Bytes packet = type == LinkType::raw ? udp_packet(i * 300, static_cast<std::uint16_t>(i))
                                                 : ethernet_frame(udp_packet(i * 300, static_cast<std::uint16_t>(i)));
      set.record(index, times[i], packet);
      std::int64_t sec = times[i] / 1'000'000'000;
      std::int64_t rem = times[i] % 1'000'000'000;
      if (rem < 0) {
        rem += 1'000'000'000;
        --sec;
      }
      pcap_pkthdr header{};
      header.ts.tv_sec = static_cast<time_t>(sec);
      header.ts.tv_usec = static_cast<suseconds_t>(rem / 1000);
      header.caplen = header.len = static_cast<bpf_u_int32>(packet.size());
      pcap_dump(reinterpret_cast<u_char*>(dumper), &header, packet.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
    std::ifstream in(path, std::ios::binary);
    const Bytes oracle((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(set.file_bytes(index), oracle);
  }
}

TEST_F(CaptureTest, PcapReaderYieldsOneRecordAtATimeWhatTheWholeFileReaderReturns) {
  const auto whole = read_ipv4_pcap(kFixtures / "mixed-100.pcap");
  PcapReader reader(kFixtures / "mixed-100.pcap");
  std::size_t n = 0;
  while (const auto record = reader.next()) {
    ASSERT_LT(n, whole.size());
    EXPECT_EQ(record->number, n + 1);
    EXPECT_EQ(record->time_ns, whole[n].time_ns);
    EXPECT_EQ(Bytes(record->bytes.begin(), record->bytes.end()), whole[n].bytes);
    ++n;
  }
  EXPECT_EQ(n, whole.size());
  EXPECT_FALSE(reader.next());  // stays at the end
}

TEST_F(CaptureTest, PcapReaderNamesTheBadPacketOnlyWhenItGetsThere) {
  const Bytes good = udp_packet(8, 1);
  Bytes bad = good;
  bad[0] = 0x65;  // IP version 6
  const fs::path path = write_file("bad-third.pcap", handmade_pcap(101, {{0, 0, good}, {0, 1, good}, {0, 2, bad}}));
  PcapReader reader(path);
  EXPECT_TRUE(reader.next());
  EXPECT_TRUE(reader.next());
  try {
    reader.next();
    ADD_FAILURE() << "packet 3 was accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), path.string() + ": packet 3: not an IPv4 packet (IP version 6)");
  }
}

// The read(2) calls this process has made so far (Linux's per-process I/O accounting), or nullopt
// where /proc/self/io is not there.
std::optional<std::uint64_t> read_syscalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscr:") {
      return value;
    }
  }
  return std::nullopt;
}

// Replay reads pcaps of millions of records, and on these machines each system call costs more
// than the record it reads: the reader must fetch the file in large blocks, not stdio's 4 KiB.
TEST_F(CaptureTest, PcapReaderReadsABigFileInMebibyteBlocks) {
  std::vector<RawRecord> records;
  const Bytes packet = udp_packet(1000, 7);
  for (std::uint32_t i = 0; i < 4000; ++i) {  // about 4 MiB
    records.push_back({0, i, packet});
  }
  const fs::path path = write_file("big.pcap", handmade_pcap(101, records));
  const auto before = read_syscalls();
  if (!before) {
    GTEST_SKIP() << "/proc/self/io is not available, so read(2) calls cannot be counted";
  }
  PcapReader reader(path);
  std::size_t count = 0;
  while (reader.next()) {
    ++count;
  }
  const auto after = read_syscalls();
  ASSERT_TRUE(after);
  EXPECT_EQ(count, records.size());
  // 4 MiB in 1 MiB blocks is 5 or 6 reads plus the header probe; 4 KiB blocks would be ~1000.
  EXPECT_LE(*after - *before, 16u);
}

// ---- read_ipv4_pcap: the committed fixtures --------------------------------------------------

TEST_F(CaptureTest, SeedRawFixtureGivesFiveUdpPacketsOneMillisecondApart) {
  auto records = read_ipv4_pcap(kFixtures / "seed-udp-raw.pcap");
  ASSERT_EQ(records.size(), 5u);
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].time_ns, static_cast<std::int64_t>(i) * 1'000'000);
    Tins::IP ip(records[i].bytes.data(), static_cast<std::uint32_t>(records[i].bytes.size()));
    EXPECT_EQ(ip.src_addr(), Tins::IPv4Address("10.0.0.12"));
    EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("10.0.0.22"));
    const auto* udp = ip.find_pdu<Tins::UDP>();
    ASSERT_NE(udp, nullptr);
    EXPECT_EQ(udp->sport(), 40000);
    EXPECT_EQ(udp->dport(), 9000);
    sizes.push_back(records[i].bytes.size());
  }
  EXPECT_THAT(sizes, ElementsAre(40, 128, 512, 1024, 1400));
}

TEST_F(CaptureTest, EthernetAndSllFixturesGiveTheSameIpv4PacketsAsRaw) {
  auto raw = read_ipv4_pcap(kFixtures / "seed-udp-raw.pcap");
  for (const char* name : {"seed-udp-ethernet.pcap", "seed-udp-sll.pcap"}) {
    SCOPED_TRACE(name);
    auto records = read_ipv4_pcap(kFixtures / name);
    ASSERT_EQ(records.size(), raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      // Packet 1 rides in a padded 60-byte Ethernet frame; the padding is not part of it.
      EXPECT_EQ(records[i].bytes, raw[i].bytes) << "packet " << i + 1;
      EXPECT_EQ(records[i].time_ns, raw[i].time_ns) << "packet " << i + 1;
    }
  }
}

TEST_F(CaptureTest, Mixed100FixtureHoldsTheAdvertisedMix) {
  auto records = read_ipv4_pcap(kFixtures / "mixed-100.pcap");
  ASSERT_EQ(records.size(), 100u);
  std::set<int> protocols;
  std::set<std::uint16_t> udp_ports;
  int dont_fragment = 0;
  int with_tos = 0;
  int full_size = 0;
  std::int64_t last_time = -1;
  for (const PcapRecord& record : records) {
    Tins::IP ip(record.bytes.data(), static_cast<std::uint32_t>(record.bytes.size()));
    EXPECT_EQ(ip.serialize(), record.bytes);  // libtins wrote valid headers and checksums
    EXPECT_EQ(ip.src_addr(), Tins::IPv4Address("10.0.0.12"));
    EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("10.0.0.22"));
    EXPECT_LE(record.bytes.size(), 1400u);
    EXPECT_GT(record.time_ns, last_time);
    last_time = record.time_ns;
    protocols.insert(ip.protocol());
    if (const auto* udp = ip.find_pdu<Tins::UDP>()) {
      udp_ports.insert(udp->dport());
    }
    dont_fragment += ip.flags() == Tins::IP::DONT_FRAGMENT;
    with_tos += ip.tos() != 0;
    full_size += record.bytes.size() == 1400;
  }
  EXPECT_EQ(protocols, (std::set<int>{1, 6, 17}));
  EXPECT_EQ(udp_ports, (std::set<std::uint16_t>{9000, 9001, 9002, 9003}));
  EXPECT_GE(dont_fragment, 3);
  EXPECT_GE(with_tos, 3);
  EXPECT_GE(full_size, 1);
}

TEST_F(CaptureTest, TruncatedFixtureNamesFileAndPacket2) {
  fs::path path = kFixtures / "bad-truncated.pcap";
  EXPECT_THAT(error_for(path), StartsWith(path.string() + ": packet 2: truncated ("));
}

TEST_F(CaptureTest, TextFixtureIsNotAPcap) {
  fs::path path = kFixtures / "bad-not-a-pcap.pcap";
  EXPECT_THAT(error_for(path), StartsWith(path.string() + ": not a pcap file ("));
}

TEST_F(CaptureTest, Dot11FixtureHasAnUnsupportedLinkType) {
  fs::path path = kFixtures / "bad-linktype.pcap";
  EXPECT_EQ(error_for(path), path.string() +
                                 ": unsupported link type IEEE802_11 (DLT 105); expected RAW, "
                                 "Ethernet or Linux SLL");
}

TEST_F(CaptureTest, ArpFixtureIsNotIpv4AtPacket2) {
  fs::path path = kFixtures / "bad-not-ipv4.pcap";
  EXPECT_EQ(error_for(path), path.string() + ": packet 2: not an IPv4 packet (ethertype 0x0806, ARP)");
}

// ---- read_ipv4_pcap: pcaps written here ------------------------------------------------------

TEST_F(CaptureTest, LinktypeTwelveIsAcceptedAsRaw) {
  const Bytes packet = udp_packet(20, 12);
  for (std::uint32_t linktype : {12u, 101u}) {
    SCOPED_TRACE(linktype);
    fs::path path = write_file("raw.pcap", handmade_pcap(linktype, {{10, 5, packet}, {10, 7, packet}}));
    auto records = read_ipv4_pcap(path);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes, packet);
    EXPECT_EQ(records[0].time_ns, 0);
    EXPECT_EQ(records[1].time_ns, 2'000);
  }
}

TEST_F(CaptureTest, HeaderOnlyPcapHasNoRecords) {
  EXPECT_TRUE(read_ipv4_pcap(write_file("empty.pcap", handmade_pcap(101, {}))).empty());
}

TEST_F(CaptureTest, MissingFileCannotBeOpened) {
  fs::path path = dir_ / "absent.pcap";
  EXPECT_EQ(error_for(path), path.string() + ": cannot open: No such file or directory");
}

TEST_F(CaptureTest, EmptyFileIsNotAPcap) {
  fs::path path = write_file("zero.pcap", {});
  EXPECT_THAT(error_for(path), StartsWith(path.string() + ": not a pcap file ("));
}

TEST_F(CaptureTest, CaptureSetOutputRoundTripsThroughTheReader) {
  CaptureSet set;
  std::size_t tun = set.open("left-tun0", LinkType::raw);
  std::size_t eth = set.open("left-eth0", LinkType::ethernet);
  const Bytes a = udp_packet(30, 1);
  const Bytes b = udp_packet(1000, 2);
  set.record(tun, 5'000'000, a);
  set.record(tun, 7'250'000, b);
  set.record(eth, 5'000'000, ethernet_frame(a));
  set.record(eth, 7'250'000, ethernet_frame(b));
  auto paths = set.write_to(dir_);
  for (const char* name : {"left-tun0", "left-eth0"}) {
    SCOPED_TRACE(name);
    auto records = read_ipv4_pcap(paths.at(name));
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].time_ns, 0);
    EXPECT_EQ(records[1].time_ns, 2'250'000);
    EXPECT_EQ(records[0].bytes, a);
    EXPECT_EQ(records[1].bytes, b);
  }
}

TEST_F(CaptureTest, NanosecondPcapKeepsNanoseconds) {
  const Bytes packet = udp_packet(8, 1);
  fs::path path =
      write_file("nano.pcap", handmade_pcap(101, {{1, 999'999'999, packet}, {2, 1'234, packet}}, 0xa1b23c4d));
  auto records = read_ipv4_pcap(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].time_ns, 1'235);
}

TEST_F(CaptureTest, VlanTaggedEthernetIsAccepted) {
  const Bytes packet = udp_packet(40, 3);
  Bytes frame = ethernet_frame(packet);
  const Bytes tag = {0x81, 0x00, 0x00, 0x2a};  // 802.1Q, VLAN 42; the IPv4 ethertype follows
  frame.insert(frame.begin() + 12, tag.begin(), tag.end());
  auto records = read_ipv4_pcap(write_file("vlan.pcap", handmade_pcap(1, {{0, 0, frame}})));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes, packet);
}

TEST_F(CaptureTest, SnaplenCutPacketIsRejectedWithCapturedOfLength) {
  const Bytes packet = udp_packet(100, 4);  // 128 bytes
  fs::path path = write_file(
      "cut.pcap", handmade_pcap(101, {{0, 0, packet}, {0, 1, Bytes(packet.begin(), packet.begin() + 64), 128}}));
  EXPECT_EQ(error_for(path), path.string() + ": packet 2: captured 64 of 128 bytes");
}

TEST_F(CaptureTest, SnaplenCutOnlyInTheEthernetPaddingIsFine) {
  const Bytes packet = udp_packet(4, 5);  // 32 bytes: the frame carries 14 bytes of padding
  Bytes frame = ethernet_frame(packet);
  ASSERT_EQ(frame.size(), 60u);
  frame.resize(14 + packet.size() + 2);
  auto records = read_ipv4_pcap(write_file("pad.pcap", handmade_pcap(1, {{0, 0, frame, 60}})));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes, packet);
}

TEST_F(CaptureTest, Ipv6InRawIsNotIpv4) {
  Bytes packet(40, 0);
  packet[0] = 0x60;
  fs::path path = write_file("v6.pcap", handmade_pcap(101, {{0, 0, udp_packet(1, 1)}, {0, 0, packet}}));
  EXPECT_EQ(error_for(path), path.string() + ": packet 2: not an IPv4 packet (IP version 6)");
}

TEST_F(CaptureTest, TotalLengthBeyondTheRecordIsNotIpv4) {
  Bytes packet = udp_packet(20, 6);
  packet.resize(30);  // header still says 48
  fs::path path = write_file("short.pcap", handmade_pcap(101, {{0, 0, udp_packet(1, 1)}, {0, 0, packet}}));
  EXPECT_THAT(error_for(path), StartsWith(path.string() + ": packet 2: not an IPv4 packet (total length 48"));
}

TEST_F(CaptureTest, SllWithAnotherProtocolIsNotIpv4) {
  Bytes frame(16, 0);
  frame[14] = 0x86;
  frame[15] = 0xdd;
  Bytes ipv6(40, 0);
  ipv6[0] = 0x60;
  frame.insert(frame.end(), ipv6.begin(), ipv6.end());
  fs::path path = write_file("sll.pcap", handmade_pcap(113, {{0, 0, frame}}));
  EXPECT_THAT(error_for(path), HasSubstr(": packet 1: not an IPv4 packet (SLL protocol 0x86dd)"));
}

TEST_F(CaptureTest, RecordHeaderCutShortIsTruncatedAtThatPacket) {
  Bytes file = handmade_pcap(101, {{0, 0, udp_packet(1, 1)}, {0, 0, udp_packet(1, 1)}});
  file.resize(file.size() - 29 - 8);  // keep half of record 2's header
  fs::path path = write_file("cut.pcap", file);
  EXPECT_THAT(error_for(path), StartsWith(path.string() + ": packet 2: truncated ("));
}

// ---- plain records, read in place; libpcap for the rest -------------------------------------

// Every record as libpcap itself reads it: the oracle for the reader's in-place path.
std::vector<PcapRecord> read_with_libpcap(const fs::path& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  EXPECT_NE(pcap, nullptr) << errbuf;
  std::vector<PcapRecord> records;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  std::int64_t first = 0;
  while (pcap != nullptr && pcap_next_ex(pcap, &header, &data) == 1) {
    const std::int64_t time = static_cast<std::uint32_t>(header->ts.tv_sec) * 1'000'000'000LL + header->ts.tv_usec;
    if (records.empty()) {
      first = time;
    }
    records.push_back({time - first, Bytes(data, data + header->caplen)});
  }
  if (pcap != nullptr) {
    pcap_close(pcap);
  }
  return records;
}

// Records of many sizes, enough to fill several of the reader's 1 MiB blocks, so that records
// straddle every block boundary somewhere.
std::vector<RawRecord> records_across_blocks(std::size_t count) {
  std::vector<RawRecord> records;
  for (std::size_t i = 0; i < count; ++i) {
    records.push_back({static_cast<std::uint32_t>(1'700'000'000 + i / 1000),
                       static_cast<std::uint32_t>((i % 1000) * 997),
                       udp_packet((i * 37) % 1400, static_cast<std::uint16_t>(i))});
  }
  return records;
}

TEST_F(CaptureTest, RecordsAcrossManyBlocksReadExactlyAsLibpcapReadsThem) {
  for (const std::uint32_t magic : {0xa1b2c3d4u, 0xa1b23c4du}) {
    SCOPED_TRACE(magic);
    const fs::path path = write_file("blocks.pcap", handmade_pcap(101, records_across_blocks(4000), magic));
    ASSERT_GT(fs::file_size(path), 2u << 20);
    const auto oracle = read_with_libpcap(path);
    ASSERT_EQ(oracle.size(), 4000u);
    PcapReader reader(path);
    for (std::size_t i = 0; i < oracle.size(); ++i) {
      const auto record = reader.next();
      ASSERT_TRUE(record) << "record " << i + 1;
      ASSERT_EQ(record->time_ns, oracle[i].time_ns) << "record " << i + 1;
      ASSERT_EQ(Bytes(record->bytes.begin(), record->bytes.end()), oracle[i].bytes) << "record " << i + 1;
    }
    EXPECT_FALSE(reader.next());
  }
}

TEST_F(CaptureTest, ABigEndianFileReadsAsTheSameFileInThisMachinesOrder) {
  const auto records = records_across_blocks(300);
  const fs::path little = write_file("little.pcap", handmade_pcap(101, records));
  const fs::path big = write_file("big.pcap", handmade_pcap(101, records, 0xa1b2c3d4, 65535, ByteOrder::big));
  const auto expected = read_ipv4_pcap(little);
  const auto got = read_ipv4_pcap(big);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].time_ns, expected[i].time_ns) << "record " << i + 1;
    ASSERT_EQ(got[i].bytes, expected[i].bytes) << "record " << i + 1;
  }
}

TEST_F(CaptureTest, ARecordCutShortPastTheFirstBlockIsTruncatedAtThatPacket) {
  Bytes file = handmade_pcap(101, records_across_blocks(3000));
  file.resize(file.size() - 5);  // the last record's body loses its last bytes
  const fs::path path = write_file("cut-late.pcap", file);
  EXPECT_THAT(error_for(path),
              StartsWith(path.string() + ": packet 3000: truncated (truncated dump file; tried to read"));
}

TEST_F(CaptureTest, ARecordLongerThanTheSnapshotLengthIsCutThereAsLibpcapCutsIt) {
  // libpcap reads the first snaplen bytes of such a record and skips the rest: the packet after
  // it is read from the right place, and the cut packet cannot be replayed.
  const Bytes small = udp_packet(20, 1);
  const Bytes large = udp_packet(172, 2);  // 200 bytes
  const fs::path path =
      write_file("snap.pcap", handmade_pcap(101, {{0, 0, small}, {0, 1, large}, {0, 2, small}}, 0xa1b2c3d4, 100));
  const auto oracle = read_with_libpcap(path);
  ASSERT_EQ(oracle.size(), 3u);
  EXPECT_EQ(oracle[1].bytes.size(), 100u);
  EXPECT_EQ(oracle[2].bytes, small);
  EXPECT_EQ(error_for(path), path.string() + ": packet 2: captured 100 of 200 bytes");
}

}  // namespace
}  // namespace tunlab
