// Captures streamed to files as packets pass, and pcap input for replay, one record at a time.
//
// Why not Tins::PacketWriter: in libtins 4.0 its write(pdu, timeval) overload is private, so every
// record would carry wall-clock time; and why not pcap_dump: the digest is taken whether or not
// --capture was given, over the very bytes written, so we assemble libpcap's file format (a
// fixed, documented layout) ourselves and hash and write the same buffer. libpcap reads.
#include "tunlab/capture/capture.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "capture_spool.hpp"
#include "compressed_spill.hpp"
#include "plain_pcap_records.hpp"
#include "read_ahead.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

namespace {

// What we promise readers: whole IPv4 packets fit; longer link frames are cut like a real capture.
constexpr int kSnaplen = 65535;
static_assert(CaptureChunk::kLargestRecord >= 16 + kSnaplen, "a chunk must hold any one record");
constexpr std::int64_t kNsPerSec = 1'000'000'000;

// libpcap hands us DLT_* values. A file saying LINKTYPE_RAW (101) comes back as DLT_RAW, which is
// 12 on Linux; some writers put 12 in the file directly, which also comes back as 12. We accept
// both spellings wherever DLT_RAW lives, plus LINKTYPE_IPV4 and the newer Linux SLL2 that
// tcpdump -i any writes.
constexpr int kLinktypeRaw = 101;
constexpr int kDltRawAlt = 12;
constexpr int kDltIpv4 = 228;
constexpr int kDltLinuxSll2 = 276;
// Linux cooked captures: the protocol (an EtherType) of SLL sits after the packet type, ARPHRD
// type and 10 bytes of address fields; SLL2 leads with it.
constexpr std::size_t kSllHeader = 16;
constexpr std::size_t kSllProtocol = 14;
constexpr std::size_t kSll2Header = 20;
constexpr std::size_t kSll2Protocol = 0;

bool is_raw(int dlt) {
  return dlt == DLT_RAW || dlt == kDltRawAlt || dlt == kLinktypeRaw || dlt == kDltIpv4;
}

// pcap_open_dead takes a DLT, not the LinkType's file value: DLT_RAW is what libpcap writes out as
// LINKTYPE_RAW (101).
int to_dlt(LinkType link_type) {
  switch (link_type) {
    case LinkType::raw:
      return DLT_RAW;
    case LinkType::ethernet:
      return DLT_EN10MB;
    case LinkType::linux_sll:
      return DLT_LINUX_SLL;
  }
  throw std::invalid_argument("capture: unknown link type");
}

std::uint16_t be16(const std::uint8_t* p) {
  return load_be16(p);
}

}  // namespace

// One interface's capture. The pcap bytes (libpcap's file format: the 24-byte global header, then
// a 16-byte record header and the bytes per record, in host byte order as pcap_dump writes them)
// are assembled in a chunk; a full chunk goes to the spool's thread, which hands it to the file
// and, for the capture hashed as it is written, to the running SHA-256 (take()). The simulation
// thread reads the file or the hash only after draining the spool.
class CaptureFile final : public CaptureChunkSink {
public:
  // Without a directory the bytes stay in memory until the first chunk fills; only then does a
  // compressed temporary file take them (compressed_spill.hpp). Small runs (tests, fuzzing, most
  // scenarios) never touch the file system; large ones keep flat memory.
  CaptureFile(std::string name, LinkType link_type, const std::optional<std::filesystem::path>& dir,
              CaptureSpool& spool)
      : name_(std::move(name)), link_type_(link_type), spool_(spool) {
    if (dir) {
      path_ = *dir / (name_ + ".pcap");
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd_ < 0) {
        throw InputError(path_.string() + ": cannot write: " + std::strerror(errno));
      }
    }
    append_file_header();
  }

  ~CaptureFile() {
    spool_.drain_quietly();  // the spool's thread may still hold a chunk of ours
    if (fd_ >= 0) {
      try {
        flush();
      } catch (const std::exception&) {  // a destructor reports nothing; write_to/digest did
      }
      ::close(fd_);
    }
  }

  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  void record(std::int64_t time_ns, ByteView link_header, ByteView bytes) {
    // Floor division so that a (never expected) negative time still yields 0 <= usec < 1e6.
    std::int64_t sec = time_ns / kNsPerSec;
    std::int64_t rem = time_ns % kNsPerSec;
    if (rem < 0) {
      rem += kNsPerSec;
      --sec;
    }
    const std::size_t length = link_header.size() + bytes.size();
    const std::size_t caplen = std::min<std::size_t>(length, kSnaplen);
    // struct pcap_sf_pkthdr: 32-bit seconds and microseconds, caplen, len.
    const std::uint32_t header[4] = {static_cast<std::uint32_t>(static_cast<std::int32_t>(sec)),
                                     static_cast<std::uint32_t>(rem / 1000), static_cast<std::uint32_t>(caplen),
                                     static_cast<std::uint32_t>(length)};
    chunk_.append(header, sizeof header);
    const std::size_t head = std::min(link_header.size(), caplen);
    chunk_.append(link_header.data(), head);
    chunk_.append(bytes.data(), caplen - head);
    ++packet_count_;
    if (chunk_.full()) {
      chunk_ = spool_.hand_over(*this, std::move(chunk_));
    }
  }

  // Hashes the bytes as they are written from now on; must be called before the first record.
  // `store` false: the bytes are hashed only, never written anywhere.
  void hash_live(bool store) {
    live_hash_ = new_sha256();
    stored_ = store;
  }
  bool hashed_live() const { return live_hash_ != nullptr; }

  // Waits for the spool, then writes out what is still in the chunk (and feeds it to the live
  // hash).
  void flush() {
    spool_.drain();
    if (!chunk_.empty()) {
      take(chunk_);
      chunk_.clear();
    }
  }

  // A chunk, in order: to the live hash, then to the file, or to the temporary spill (made on the
  // first chunk). Runs on the spool's thread, or on the caller's in flush().
  void take(const CaptureChunk& chunk) override {
    if (live_hash_ && EVP_DigestUpdate(live_hash_.get(), chunk.data(), chunk.size()) != 1) {
      throw std::runtime_error("capture digest: update failed");
    }
    if (!stored_) {
      return;
    }
    if (fd_ < 0) {
      if (!spill_) {
        spill_ = std::make_unique<CompressedSpill>("capture " + name_ + " (temporary file)");
      }
      spill_->append(chunk.data(), chunk.size());
      return;
    }
    const std::uint8_t* p = chunk.data();
    std::size_t left = chunk.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        throw InputError(path_.string() + ": cannot write: " + std::strerror(errno));
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    file_size_ += chunk.size();
  }

  // Feeds the whole file to `ctx`: the live hash's state is copied in when this capture is hashed
  // as it is written (only valid when it is the first in the digest's order).
  void hash_into(EVP_MD_CTX* ctx) {
    spool_.drain();
    if (live_hash_ || fd_ >= 0 || spill_) {
      flush();  // a file that exists gets everything; a chunk never handed over stays in memory
    }
    if (live_hash_) {
      if (EVP_MD_CTX_copy_ex(ctx, live_hash_.get()) != 1) {
        throw std::runtime_error("capture digest: copy failed");
      }
      return;
    }
    read_back([ctx](const std::uint8_t* data, std::size_t size) {
      if (EVP_DigestUpdate(ctx, data, size) != 1) {
        throw std::runtime_error("capture digest: update failed");
      }
    });
  }

  std::vector<std::uint8_t> bytes() {
    if (!stored_) {
      throw std::logic_error("capture " + name_ + ": hashed only, not stored");
    }
    spool_.drain();
    std::vector<std::uint8_t> out;
    out.reserve(stored_size() + chunk_.size());
    read_back([&out](const std::uint8_t* data, std::size_t size) { out.insert(out.end(), data, data + size); });
    return out;
  }

  // Copies the file to `path` unless it is that file already.
  void copy_to(const std::filesystem::path& path) {
    if (!stored_) {
      throw std::logic_error("capture " + name_ + ": hashed only, not stored");
    }
    std::error_code ec;
    spool_.drain();
    if (fd_ >= 0 || spill_) {
      flush();
    }
    if (!path_.empty() && std::filesystem::equivalent(path_, path, ec)) {
      return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    read_back([&out](const std::uint8_t* data, std::size_t size) {
      out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    });
    out.close();
    if (!out) {
      throw InputError(path.string() + ": cannot write: " + std::strerror(errno));
    }
  }

  const std::string& name() const { return name_; }
  LinkType link_type() const { return link_type_; }
  std::size_t packet_count() const { return packet_count_; }

private:
  using Sha256 = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  static Sha256 new_sha256() {
    Sha256 ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("capture digest: SHA-256 unavailable");
    }
    return ctx;
  }

  // struct pcap_file_header as libpcap's pcap_dump_open writes it for microsecond timestamps.
  void append_file_header() {
    const std::uint32_t magic = 0xa1b2c3d4;
    const std::uint16_t version[2] = {2, 4};
    const std::int32_t thiszone = 0;
    const std::uint32_t sigfigs = 0;
    const std::uint32_t snaplen = kSnaplen;
    const std::uint32_t linktype = static_cast<std::uint32_t>(link_type_);
    chunk_.append(&magic, 4);
    chunk_.append(version, 4);
    chunk_.append(&thiszone, 4);
    chunk_.append(&sigfigs, 4);
    chunk_.append(&snaplen, 4);
    chunk_.append(&linktype, 4);
  }

  std::size_t stored_size() const { return spill_ ? spill_->original_bytes() : file_size_; }

  // Hands `sink` every byte recorded so far, in order: what was written to the file, then what is
  // still in the chunk. Call after draining the spool.
  template <typename Sink>
  void read_back(Sink&& sink) {
    read_back_file(sink);
    if (!chunk_.empty()) {
      sink(chunk_.data(), chunk_.size());
    }
  }

  template <typename Sink>
  void read_back_file(Sink& sink) {
    if (!spill_ && file_size_ <= ReadAhead::kBlockBytes) {  // nothing, or a small file: one read
      if (file_size_ == 0) {
        return;
      }
      std::vector<std::uint8_t> bytes(file_size_);
      try {
        pread_exact(fd_, bytes.data(), bytes.size(), 0);
      } catch (const std::runtime_error& e) {
        throw std::runtime_error(path_.string() + ": cannot read back: " + e.what());
      }
      sink(bytes.data(), bytes.size());
      return;
    }
    // Read, or decompressed, on a ReadAhead thread while `sink` hashes.
    const std::unique_ptr<ReadAhead> reader =
        spill_ ? spill_->read_back() : std::make_unique<ReadAhead>(fd_, 0, file_size_, path_.string());
    for (ByteView block = reader->next(); !block.empty(); block = reader->next()) {
      sink(block.data(), block.size());
    }
  }

  std::string name_;
  LinkType link_type_;
  std::filesystem::path path_;              // empty without a capture directory
  int fd_ = -1;                             // the file in the capture directory, or -1
  std::unique_ptr<CompressedSpill> spill_;  // without a directory, once a chunk was handed over
  bool stored_ = true;                      // false when hashed only (the bytes are kept nowhere)
  std::size_t packet_count_ = 0;
  std::size_t file_size_ = 0;  // bytes written to fd_
  CaptureSpool& spool_;
  CaptureChunk chunk_;
  Sha256 live_hash_{nullptr, &EVP_MD_CTX_free};
};

namespace {
void create_capture_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw InputError(dir.string() + ": cannot create capture directory: " + ec.message());
  }
}
}  // namespace

CaptureSet::CaptureSet() : spool_(std::make_unique<CaptureSpool>()) {}
CaptureSet::CaptureSet(const std::filesystem::path& dir) : dir_(dir), spool_(std::make_unique<CaptureSpool>()) {
  create_capture_dir(dir);
}
CaptureSet::~CaptureSet() = default;
CaptureSet::CaptureSet(CaptureSet&&) noexcept = default;
CaptureSet& CaptureSet::operator=(CaptureSet&& other) noexcept {
  if (this != &other) {
    files_.clear();  // they may still hand chunks to our spool: gone before it goes
    dir_ = std::move(other.dir_);
    sealed_ = other.sealed_;
    spool_ = std::move(other.spool_);
    files_ = std::move(other.files_);
  }
  return *this;
}

std::size_t CaptureSet::open(const std::string& name, LinkType link_type) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (files_[i]->name() == name) {
      if (files_[i]->link_type() != link_type) {
        throw std::invalid_argument("capture " + name + ": already open with another link type");
      }
      return i;
    }
  }
  if (sealed_) {
    throw std::logic_error("capture " + name + ": the capture set is sealed");
  }
  // The name becomes NAME.pcap inside the capture directory: keep it a plain file name.
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw std::invalid_argument("capture name '" + name + "' is not a plain file name");
  }
  (void)to_dlt(link_type);  // rejects an unknown link type
  if (!spool_) {            // a set that was moved from
    spool_ = std::make_unique<CaptureSpool>();
  }
  files_.push_back(std::make_unique<CaptureFile>(name, link_type, dir_, *spool_));
  return files_.size() - 1;
}

void CaptureSet::seal() {
  if (sealed_ || files_.empty()) {
    sealed_ = true;
    return;
  }
  sealed_ = true;
  const auto first = std::min_element(files_.begin(), files_.end(),
                                      [](const auto& a, const auto& b) { return a->name() < b->name(); });
  if ((*first)->packet_count() == 0) {
    (*first)->hash_live(dir_.has_value());
  }
}

void CaptureSet::record(std::size_t capture, std::int64_t time_ns, ByteView bytes) {
  files_.at(capture)->record(time_ns, {}, bytes);
}

void CaptureSet::record(std::size_t capture, std::int64_t time_ns, ByteView link_header, ByteView bytes) {
  files_.at(capture)->record(time_ns, link_header, bytes);
}

std::size_t CaptureSet::packet_count(std::size_t capture) const {
  return files_.at(capture)->packet_count();
}

const std::string& CaptureSet::name(std::size_t capture) const {
  return files_.at(capture)->name();
}

std::size_t CaptureSet::size() const {
  return files_.size();
}

std::vector<std::uint8_t> CaptureSet::file_bytes(std::size_t capture) const {
  return files_.at(capture)->bytes();
}

std::map<std::string, std::filesystem::path> CaptureSet::write_to(const std::filesystem::path& dir) const {
  create_capture_dir(dir);
  std::map<std::string, std::filesystem::path> written;
  for (const auto& file : files_) {
    std::filesystem::path path = dir / (file->name() + ".pcap");
    file->copy_to(path);
    written.emplace(file->name(), std::move(path));
  }
  return written;
}

std::string CaptureSet::digest() const {
  std::vector<CaptureFile*> ordered;
  ordered.reserve(files_.size());
  for (const auto& file : files_) {
    ordered.push_back(file.get());
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const CaptureFile* a, const CaptureFile* b) { return a->name() < b->name(); });

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("capture digest: SHA-256 unavailable");
  }
  // The file hashed as it was written is the first in name order (seal() chose it), so its
  // running state is where the digest of the concatenation starts.
  for (CaptureFile* file : ordered) {
    file->hash_into(ctx.get());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &md_len) != 1) {
    throw std::runtime_error("capture digest: final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(md_len * 2);
  for (unsigned int i = 0; i < md_len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0x0f]);
  }
  return hex;
}

// ---- pcap input ----------------------------------------------------------------------------

namespace {

std::string link_type_name(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return name != nullptr ? name : "unknown";
}

std::string ethertype_text(std::uint16_t ethertype) {
  char text[32];
  std::snprintf(text, sizeof text, "ethertype 0x%04x", ethertype);
  std::string out = text;
  switch (ethertype) {
    case ethertype::kArp:
      return out + ", ARP";
    case ethertype::kIpv6:
      return out + ", IPv6";
    case ethertype::kVlan:
      return out + ", a second 802.1Q tag";
    default:
      return out;
  }
}

}  // namespace

class PcapReader::Impl {
public:
  Impl(const std::filesystem::path& path, bool skip_non_ipv4) : file_(path.string()), skip_non_ipv4_(skip_non_ipv4) {
    // A FIFO or a device (/dev/zero) is refused before libpcap blocks on it or reads it forever.
    const int fd = open_regular_file(path, limits::kMaxPcapBytes, file_);
    std::FILE* fp = open_stream(fd);
    if (fp == nullptr) {
      const int open_errno = errno;
      ::close(fd);
      fail(std::string("cannot open: ") + std::strerror(open_errno));
    }
    // Only this reader touches the FILE: stdio need not lock it on each of libpcap's two fread
    // calls per record.
    __fsetlocking(fp, FSETLOCKING_BYCALLER);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // Nanosecond precision so that both microsecond and nanosecond files keep every digit.
    pcap_ = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (pcap_ == nullptr) {
      std::fclose(fp);  // on failure libpcap leaves the FILE to us
      fail("not a pcap file (" + std::string(errbuf) + ")");
    }
    dlt_ = pcap_datalink(pcap_);
    if (!is_raw(dlt_) && dlt_ != DLT_EN10MB && dlt_ != DLT_LINUX_SLL && dlt_ != kDltLinuxSll2) {
      pcap_close(pcap_);
      pcap_ = nullptr;
      fail("unsupported link type " + link_type_name(dlt_) + " (DLT " + std::to_string(dlt_) +
           "); expected RAW, Ethernet or Linux SLL");
    }
    if (PlainPcapRecords::takes(fd, pcap_)) {
      plain_.emplace(fd, pcap_);
    }
  }
  ~Impl() {
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::optional<PcapReader::Record> next() {
    const int dlt = dlt_;
    for (;;) {
      const std::size_t number = ++number_;
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      const int rc = read_record(header, data);
      if (rc == PCAP_ERROR_BREAK) {
        --number_;
        return std::nullopt;  // end of file
      }
      if (rc != 1) {
        // libpcap says "truncated dump file; tried to read N ... bytes, only got M" for a cut-off
        // record header or body, and names other damage (e.g. an impossible caplen) otherwise.
        std::string message = pcap_geterr(pcap_);
        if (message.find("truncated") != std::string::npos) {
          fail_packet(number, "truncated (" + message + ")");
        }
        fail_packet(number, "unreadable record (" + message + ")");
      }

      const std::int64_t time_ns = checked_time(number, *header, first_ns_, previous_ns_);
      if (number == 1) {
        first_ns_ = time_ns;
      }
      previous_ns_ = time_ns;
      ByteView frame{data, header->caplen};
      if (skip_non_ipv4_ && !carries_ipv4(dlt, frame)) {
        continue;
      }
      ByteView ip = strip_link_layer(dlt, frame, number);
      ip = check_ipv4(ip, number, *header, frame.size() - ip.size());
      return PcapReader::Record{time_ns - first_ns_, ip, number};
    }
  }

private:
  // pcap_next_ex, or the same record read in place while the file's records are plain ones.
  int read_record(pcap_pkthdr*& header, const u_char*& data) {
    if (plain_) {
      if (plain_->next(plain_header_, data)) {
        header = &plain_header_;
        return 1;
      }
      // libpcap goes on from the record the plain reader stopped at, to the end of the file.
      if (std::fseek(pcap_file(pcap_), static_cast<long>(plain_->offset()), SEEK_SET) != 0) {
        fail(std::string("cannot read: ") + std::strerror(errno));
      }
      plain_.reset();
    }
    return pcap_next_ex(pcap_, &header, &data);
  }

  // A stdio stream over `fd` (which it then owns), read through a 1 MiB buffer of our own: glibc
  // ignores setvbuf's size when it is to allocate the buffer itself, and its 4 KiB would cost a
  // read(2) per 4 KiB. A thread reading ahead was tried and measured slower: a million-record
  // replay makes about 64 reads per pass, and the thread's wake-ups preempted the simulation
  // thread on a 2-core machine where the capture writer already has the other core.
  std::FILE* open_stream(int fd) {
    std::FILE* fp = ::fdopen(fd, "rb");
    if (fp != nullptr) {
      stdio_buffer_ = std::make_unique_for_overwrite<char[]>(kStdioBuffer);
      std::setvbuf(fp, stdio_buffer_.get(), _IOFBF, kStdioBuffer);
    }
    return fp;
  }

  // A quick look for the lenient reader: does this frame hold an IPv4 packet at all (not ARP, not
  // IPv6)? Frames that do are then checked as strictly as ever.
  static bool carries_ipv4(int dlt, ByteView frame) {
    std::size_t offset = 0;
    if (dlt == DLT_EN10MB) {
      const auto ethernet = EthernetView::parse(frame);
      if (!ethernet) {
        return false;
      }
      const bool tagged = ethernet->ethertype() == ethertype::kVlan;
      if ((tagged ? ethernet->tagged_ethertype() : ethernet->ethertype()) != ethertype::kIpv4) {
        return false;
      }
      offset = EthernetView::kHeader + (tagged ? EthernetView::kVlanTag : 0);
    } else if (dlt == DLT_LINUX_SLL) {
      if (frame.size() < kSllHeader || be16(frame.data() + kSllProtocol) != ethertype::kIpv4) {
        return false;
      }
      offset = kSllHeader;
    } else if (dlt == kDltLinuxSll2) {
      if (frame.size() < kSll2Header || be16(frame.data() + kSll2Protocol) != ethertype::kIpv4) {
        return false;
      }
      offset = kSll2Header;
    }
    return frame.size() > offset && ip_version(frame.subspan(offset)) == 4;
  }

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_ + ": " + what); }

  // The record's time in ns. Replay injects each packet at its offset from the first, so the
  // offsets must be well-formed, never go backwards and stay within a run's longest time.
  std::int64_t checked_time(std::size_t number, const pcap_pkthdr& header, std::int64_t first_ns,
                            std::int64_t previous_ns) const {
    // Opened with nanosecond precision: libpcap scales a microsecond file's fraction by 1000.
    // The file's seconds are an unsigned 32-bit field, which libpcap hands over sign-extended.
    const std::int64_t seconds = static_cast<std::uint32_t>(header.ts.tv_sec);
    const auto fraction = static_cast<std::int64_t>(header.ts.tv_usec);
    if (fraction < 0 || fraction >= kNsPerSec) {
      fail_packet(number, "timestamp fraction " + std::to_string(fraction) + " ns is not below one second");
    }
    const std::int64_t time_ns = seconds * kNsPerSec + fraction;  // < 2^32 * 10^9 < 2^63
    if (number > 1 && time_ns < previous_ns) {
      fail_packet(number, "timestamp goes backwards (" + std::to_string(previous_ns - time_ns) +
                              " ns before the packet before it)");
    }
    if (number > 1 && time_ns - first_ns > limits::kMaxDurationNs) {
      fail_packet(number, "timestamp " + std::to_string((time_ns - first_ns) / kNsPerSec) +
                              " s after the first packet, more than the " +
                              std::to_string(limits::kMaxDurationNs / kNsPerSec) + " s a run may last");
    }
    return time_ns;
  }
  [[noreturn]] void fail_packet(std::size_t number, const std::string& what) const {
    fail("packet " + std::to_string(number) + ": " + what);
  }

  void need(ByteView frame, std::size_t bytes, std::size_t number, const char* header) const {
    if (frame.size() < bytes) {
      fail_packet(number, "not an IPv4 packet (" + std::to_string(frame.size()) + " bytes, shorter than the " + header +
                              " header)");
    }
  }

  ByteView strip_link_layer(int dlt, ByteView frame, std::size_t number) const {
    switch (dlt) {
      case DLT_EN10MB: {
        need(frame, EthernetView::kHeader, number, "Ethernet");
        const EthernetView ethernet = *EthernetView::parse(frame);
        std::size_t offset = EthernetView::kHeader;
        std::uint16_t type = ethernet.ethertype();
        if (type == ethertype::kVlan) {  // one 802.1Q tag
          need(frame, EthernetView::kHeader + EthernetView::kVlanTag, number, "802.1Q");
          type = *ethernet.tagged_ethertype();
          offset += EthernetView::kVlanTag;
        }
        if (type != ethertype::kIpv4) {
          fail_packet(number, "not an IPv4 packet (" + ethertype_text(type) + ")");
        }
        return frame.subspan(offset);
      }
      case DLT_LINUX_SLL: {
        need(frame, kSllHeader, number, "Linux SLL");
        std::uint16_t protocol = be16(frame.data() + kSllProtocol);
        if (protocol != ethertype::kIpv4) {
          fail_packet(number, "not an IPv4 packet (SLL protocol 0x" + hex16(protocol) + ")");
        }
        return frame.subspan(kSllHeader);
      }
      case kDltLinuxSll2: {
        need(frame, kSll2Header, number, "Linux SLL2");
        std::uint16_t protocol = be16(frame.data() + kSll2Protocol);
        if (protocol != ethertype::kIpv4) {
          fail_packet(number, "not an IPv4 packet (SLL2 protocol 0x" + hex16(protocol) + ")");
        }
        return frame.subspan(kSll2Header);
      }
      default:  // RAW and IPv4 carry the IP packet from the first byte
        return frame;
    }
  }

  // Validates the IPv4 header and returns exactly the IPv4 packet: the bytes the sender's stack
  // produced, without link-layer padding (Ethernet pads short frames to 60 bytes).
  ByteView check_ipv4(ByteView ip, std::size_t number, const pcap_pkthdr& header, std::size_t link_bytes) const {
    if (ip.empty()) {
      fail_packet(number, "not an IPv4 packet (no bytes after the link header)");
    }
    unsigned version = ip_version(ip);
    if (version != 4) {
      fail_packet(number, "not an IPv4 packet (IP version " + std::to_string(version) + ")");
    }
    std::size_t total_length = ip.size() >= 4 ? ipv4_peek::total_length(ip) : 0;
    std::size_t header_length = ipv4_peek::header_length(ip);
    // The whole packet is needed to replay it; a capture cut by its snaplen cannot be replayed.
    if (header.caplen < header.len && (ip.size() < 20 || total_length > ip.size())) {
      fail_packet(number, "captured " + std::to_string(header.caplen) + " of " + std::to_string(header.len) + " bytes");
    }
    if (ip.size() < 20) {
      fail_packet(number, "not an IPv4 packet (" + std::to_string(ip.size()) + " bytes, shorter than an IPv4 header)");
    }
    if (header_length < 20 || header_length > total_length) {
      fail_packet(number, "not an IPv4 packet (header length " + std::to_string(header_length) + ", total length " +
                              std::to_string(total_length) + ")");
    }
    if (total_length > ip.size()) {
      fail_packet(number, "not an IPv4 packet (total length " + std::to_string(total_length) + " exceeds the " +
                              std::to_string(ip.size()) + " bytes present" +
                              (link_bytes > 0 ? " after the link header)" : ")"));
    }
    return ip.first(total_length);
  }

  static std::string hex16(std::uint16_t value) {
    char text[8];
    std::snprintf(text, sizeof text, "%04x", value);
    return text;
  }

  static constexpr std::size_t kStdioBuffer = std::size_t{1} << 20;

  std::string file_;
  bool skip_non_ipv4_ = false;
  std::unique_ptr<char[]> stdio_buffer_;  // the FILE's buffer; outlives it (pcap_close is in ~Impl)
  pcap_t* pcap_ = nullptr;
  std::optional<PlainPcapRecords> plain_;  // while the records are read in place
  pcap_pkthdr plain_header_{};
  int dlt_ = 0;
  std::size_t number_ = 0;
  std::int64_t first_ns_ = 0;
  std::int64_t previous_ns_ = 0;
};

PcapReader::PcapReader(const std::filesystem::path& path, NonIpv4Frames non_ipv4)
    : impl_(std::make_unique<Impl>(path, non_ipv4 == NonIpv4Frames::skip)) {}
PcapReader::~PcapReader() = default;

std::optional<PcapReader::Record> PcapReader::next() {
  return impl_->next();
}

std::vector<PcapRecord> read_ipv4_pcap(const std::filesystem::path& path, NonIpv4Frames non_ipv4) {
  PcapReader reader(path, non_ipv4);
  std::vector<PcapRecord> records;
  while (const auto record = reader.next()) {
    records.push_back(PcapRecord{record->time_ns, {record->bytes.begin(), record->bytes.end()}});
  }
  return records;
}

}  // namespace tunlab
