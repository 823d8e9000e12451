// make_seeds DIR: writes the seed corpora of the fuzz harnesses (DIR/NAME/seed-N), made with the
// library's own encoders. Run once and committed (test/fuzz/corpus); rerun when a format changes:
//   make test/fuzz/make_seeds && test/fuzz/make_seeds $(srcdir)/test/fuzz/corpus
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bootstrap/rendezvous_protocol.hpp"
#include "group/object_channels.hpp"
#include "group/protocol.hpp"
#include "group/shm_ring.hpp"
#include "mpcomm.hpp"
#include "tensordict/dict_message.hpp"
#include "tensordict/metadata.hpp"

namespace {

std::string root;

void write(const std::string &harness, int n, const void *data, size_t size) {
  const std::string dir = root + "/" + harness;
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/seed-" + std::to_string(n);
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fclose(f);
}

template <class Bytes>
void write(const std::string &harness, int n, const Bytes &bytes) {
  write(harness, n, bytes.data(), bytes.size());
}

// One byte that picks a decoder, then the message.
template <class Bytes>
std::vector<uint8_t> tagged(uint8_t which, const Bytes &bytes) {
  std::vector<uint8_t> out = {which};
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

using namespace mpcomm::tensordict;

std::vector<MetaItem> sample_items(bool packed) {
  std::vector<MetaItem> items;
  TensorMeta t;
  t.dtype = MPCOMM_FLOAT32;
  t.shape = {2, 3};
  t.on_device = false;
  items.push_back({"weight", t});
  if (!packed) {
    TensorMeta s = t;
    s.shape = {4};
    s.slices = 2;
    items.push_back({"sliced", s});
    items.push_back({"name", std::string("layer.0")});
    items.push_back({"blob", Bytes{1, 2, 3}});
  }
  items.push_back({"step", int64_t{7}});
  items.push_back({"lr", 0.5});
  items.push_back({"flag", true});
  return items;
}

std::vector<char> dict_message(bool packed) {
  const std::vector<char> md = encode_metadata(sample_items(packed));
  const uint64_t tensor_bytes = packed ? 2 * 3 * 4 : 0;
  std::vector<char> out(kHeaderBytes + tensor_bytes + md.size(), 0);
  MessageHeader h{kMessageMagic, packed ? uint32_t{kPacked} : 0u, tensor_bytes, md.size()};
  std::memcpy(out.data(), &h, sizeof h);
  for (uint64_t i = 0; i < tensor_bytes; ++i) out[kHeaderBytes + i] = static_cast<char>(i);
  std::memcpy(out.data() + kHeaderBytes + tensor_bytes, md.data(), md.size());
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  root = argv[1];
  mkdir(root.c_str(), 0755);

  using mpcomm::Value;
  const Value values[] = {
      Value(),
      Value(-5),
      Value(1ULL << 63),
      Value(3.25),
      Value("text"),
      Value::bytes(reinterpret_cast<const unsigned char *>("\x00\x01\x02"), 3),
      Value(Value::Array{Value(1), Value("two"), Value(Value::Array{Value(true)})}),
      Value(Value::Map{{Value("k"), Value(Value::Map{{Value(1), Value(nullptr)}})},
                       {Value(2), Value(std::string(300, 'x'))}}),
  };
  int n = 0;
  for (const Value &v : values) write("fuzz_msgpack", n++, mpcomm::encode(v));

  write("fuzz_tensordict_metadata", 0, encode_metadata(sample_items(false)));
  write("fuzz_tensordict_metadata", 1, encode_metadata(sample_items(true)));
  write("fuzz_tensordict_metadata", 2, encode_metadata(std::vector<MetaItem>{}));

  write("fuzz_tensordict_message", 0, dict_message(false));
  write("fuzz_tensordict_message", 1, dict_message(true));
  {
    std::vector<char> follows(kHeaderBytes, 0);
    MessageHeader h{kMessageMagic, kMetadataFollows, 0, 100000};
    std::memcpy(follows.data(), &h, sizeof h);
    write("fuzz_tensordict_message", 2, follows);
  }

  namespace protocol = mpcomm::protocol;
  {
    std::vector<char> msg(protocol::kEagerBytes);
    const char small[] = "an object";
    size_t size = protocol::pack_eager(msg.data(), small, sizeof small, protocol::kTagSend);
    msg.resize(size);
    write("fuzz_eager_header", 0, tagged(protocol::kTagSend - 1, msg));
    std::vector<char> large(protocol::kEagerBytes);
    std::vector<char> payload(100000, 'y');
    size =
        protocol::pack_eager(large.data(), payload.data(), payload.size(), protocol::kTagBroadcast);
    large.resize(size);
    write("fuzz_eager_header", 1, tagged(protocol::kTagBroadcast - 1, large));
  }

  namespace rv = mpcomm::rendezvous;
  {
    rv::Hello h;
    h.world_size = 4;
    h.rank = 2;
    h.cross_job_capable = true;
    h.launch = "1234567890";
    rv::Challenge c;
    c.token_required = true;
    for (size_t i = 0; i < c.nonce.size(); ++i) c.nonce[i] = static_cast<uint8_t>(i);
    write("fuzz_rendezvous", 0, tagged(0, rv::encode_hello(h)));
    write("fuzz_rendezvous", 1, tagged(1, rv::encode_verdict({rv::Verdict::TimedOut, 2, 3})));
    write("fuzz_rendezvous", 2, tagged(2, rv::encode_port("tag#0$port#1234$")));
    write("fuzz_rendezvous", 3, tagged(3, rv::encode_challenge(c)));
    write("fuzz_rendezvous", 4, tagged(4, rv::encode_signed_hello(h, "token", c)));
  }

  {
    // Two bytes of slot size, then the header: written, length, elsewhere.
    const uint64_t headers[][3] = {{1, 100, 0}, {1, 1ULL << 40, 1}, {1, 0, 0}};
    int i = 0;
    for (const auto &words : headers) {
      std::vector<uint8_t> seed = {0, 3};
      const auto *p = reinterpret_cast<const uint8_t *>(words);
      seed.insert(seed.end(), p, p + mpcomm::ShmRing::kSlotHeaderBytes);
      write("fuzz_ring_slot", i++, seed);
    }
  }
  {
    // The expected tag, then the header: sequence, length, tag.
    struct {
      uint64_t sequence;
      uint32_t length, tag;
    } const headers[] = {{1, 512, 1}, {7, 0, 7}, {2, 1u << 20, 3}, {3, 100, 5}};
    int i = 0;
    for (const auto &h : headers) {
      std::vector<uint8_t> seed = {static_cast<uint8_t>(i == 3 ? 3 : h.tag)};
      const auto *p = reinterpret_cast<const uint8_t *>(&h);
      seed.insert(seed.end(), p, p + mpcomm::ObjectChannels::kSlotHeaderBytes);
      write("fuzz_object_slot", i++, seed);
    }
  }
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
