// A tensor dict's metadata (tensordict/metadata.hpp), as a receiver decodes it: the view decoder
// and the owning one agree, and what they accept re-encodes to metadata that decodes the same.
#include "fuzz_common.hpp"
#include "tensordict/metadata.hpp"

using namespace mpcomm::tensordict;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bool view_ok = false, owned_ok = false;
  size_t view_items = 0;
  fuzz_guard([&] {
    DecodedMetadata md;
    md.decode(data, size);
    view_ok = true;
    view_items = md.items().size();
    for (const ItemView &item : md.items()) {
      if (const auto *t = std::get_if<TensorMetaView>(&item.value)) {
        // The extents (read from the view's table) are >= 0 and multiply to numel.
        size_t product = 1;
        for (int d = 0; d < t->ndim; ++d) {
          const int64_t extent = md.shape(*t)[d];
          FUZZ_CHECK(extent >= 0);
          FUZZ_CHECK(!__builtin_mul_overflow(product, static_cast<size_t>(extent), &product));
        }
        FUZZ_CHECK(product == t->numel);
      }
    }
  });
  fuzz_guard([&] {
    const std::vector<MetaItem> items = decode_metadata(data, size);
    owned_ok = true;
    FUZZ_CHECK(items.size() == view_items);
    const std::vector<char> again = encode_metadata(items);
    const std::vector<MetaItem> back = decode_metadata(again.data(), again.size());
    FUZZ_CHECK(back.size() == items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      FUZZ_CHECK(back[i].key == items[i].key);
      FUZZ_CHECK(back[i].kind() == items[i].kind());
    }
  });
  FUZZ_CHECK(view_ok == owned_ok);
  return 0;
}
