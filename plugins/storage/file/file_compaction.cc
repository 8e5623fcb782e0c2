// SPDX-License-Identifier: Apache-2.0
#include "storage/file/file_storage_engine.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace optimystic::plugins::storage_file {

using logging::LogLevel;
using storage::WriteBatch;

namespace {

constexpr size_t kChunkEntries = 1024;               // index entries per lock hold
constexpr uint64_t kOutputRecordBytes = 1ull << 20;  // payload of one copied record

}  // namespace

void FileStorageEngine::RequestCompaction() {
  {
    std::lock_guard lock(compactor_signal_mu_);
    compaction_requested_ = true;
  }
  compactor_cv_.notify_one();
}

void FileStorageEngine::CompactorLoop() {
  while (true) {
    {
      std::unique_lock lock(compactor_signal_mu_);
      compactor_cv_.wait(lock, [&] { return compaction_requested_ || stopping_.load(); });
      if (stopping_.load()) return;
      compaction_requested_ = false;
    }
    std::lock_guard compact_lock(compact_mu_);
    Status s = CompactSealed(/*force=*/false);
    if (!s.ok() && !stopping_.load()) {
      (void)counters_.CountError(s);  // CompactSealed never fails with NotFound
      logger_.Log(LogLevel::kError, "file engine " + dir_ + ": compaction: " + s.ToString());
    }
  }
}

Status FileStorageEngine::Compact() noexcept {
  std::lock_guard compact_lock(compact_mu_);
  {
    std::lock_guard write_lock(write_mu_);
    if (closed_ || stopping_.load()) return counters_.CountError(ClosedError());
    if (!write_error_.ok()) return counters_.CountError(write_error_);
    if (active_->size_bytes() > 0) OPTIMYSTIC_RETURN_IF_ERROR(counters_.CountError(RollLocked()));
  }
  return counters_.CountError(CompactSealed(/*force=*/true));
}

Status FileStorageEngine::CompactSealed(bool force) {
  std::vector<std::shared_ptr<SegmentFile>> inputs;
  {
    std::shared_lock lock(index_mu_);
    if (closed_) return ClosedError();
    if (segments_.size() < 2) return Status::Ok();  // only the active segment
    if (!force && SealedGarbageRatio() < options_.compaction_min_garbage_ratio) {
      return Status::Ok();
    }
    inputs.assign(segments_.begin(), segments_.end() - 1);
  }
  uint64_t input_bytes = 0;
  for (const auto& input : inputs) input_bytes += input->size_bytes();
  std::vector<Move> moves;
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::shared_ptr<SegmentFile> output,
                              WriteCompactionOutput(inputs, moves));
  // The commit point: once the rename is durable, the output replaces every input.
  const uint32_t number = inputs.back()->number();
  const std::string tmp_path = output->path();
  const std::string final_path = SegmentPath(number);
  if (std::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    Status s = ErrnoStatus("rename " + tmp_path + " to " + final_path, errno);
    std::error_code ec;
    std::filesystem::remove(tmp_path, ec);
    return s;
  }
  output->set_path(final_path);
  // Should this fail, the index still points at the inputs, which are open and still correct;
  // the next open finishes the job either way.
  OPTIMYSTIC_RETURN_IF_ERROR(SyncDirectory(dir_));
  {
    std::unique_lock lock(index_mu_);
    auto at = std::find(segments_.begin(), segments_.end(), inputs.back());
    segments_.insert(at + 1, output);
  }
  SwapCompactedLocations(output.get(), moves);
  OPTIMYSTIC_RETURN_IF_ERROR(RetireInputs(inputs, output));
  logger_.Log(LogLevel::kInfo, "file engine " + dir_ + ": compacted " +
                                   std::to_string(inputs.size()) + " segments into " +
                                   SegmentFileName(number) + ": " + std::to_string(input_bytes) +
                                   " bytes to " + std::to_string(output->size_bytes()) +
                                   " bytes, " + std::to_string(moves.size()) + " live entries");
  return Status::Ok();
}

Result<std::shared_ptr<SegmentFile>> FileStorageEngine::WriteCompactionOutput(
    const std::vector<std::shared_ptr<SegmentFile>>& inputs, std::vector<Move>& moves) {
  const uint32_t last_input = inputs.back()->number();
  uint64_t sequence = 0;
  for (const auto& input : inputs) sequence = std::max(sequence, input->max_sequence());
  const std::string tmp_path = SegmentPath(last_input, kCompactionSuffix);
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::shared_ptr<SegmentFile> output,
      SegmentFile::Open(tmp_path, last_input, SegmentFile::OpenMode::kReplace));
  auto fail = [&](const Status& s) {
    std::error_code ec;
    std::filesystem::remove(tmp_path, ec);
    return s.WithContext("compact into " + tmp_path);
  };
  RecordBuilder builder;
  size_t unflushed = 0;  // moves[unflushed..] are in `builder`, with record-relative offsets
  auto flush = [&](RecordType type) {
    const uint64_t base = output->size_bytes();
    Status s = output->Append(builder.Finish(type, sequence));
    for (; unflushed < moves.size(); ++unflushed) moves[unflushed].to_op_offset += base;
    builder.Clear();
    return s;
  };
  Status s = flush(RecordType::kCompactionMarker);
  output->NoteSequence(sequence);
  CompactionCursor cursor;
  std::string buffer;
  while (s.ok() && !cursor.done) {
    if (stopping_.load()) return fail(Status::Unavailable("the engine is closing"));
    Result<std::vector<std::pair<std::string, Location>>> chunk =
        NextCompactionChunk(last_input, cursor);
    if (!chunk) return fail(chunk.error());
    for (const auto& [key, location] : *chunk) {
      Result<std::string_view> value = ReadValue(key, location, buffer);
      if (!value) return fail(value.error());
      if (builder.op_count() > 0 &&
          builder.payload_bytes() + OpBytes(key.size(), value->size()) > kMaxPayloadBytes) {
        if (s = flush(RecordType::kBatch); !s.ok()) break;
      }
      moves.push_back(Move{key, location, builder.record_bytes()});
      builder.AddOp(WriteBatch::OpKind::kPut, key, *value);
      if (builder.payload_bytes() >= kOutputRecordBytes) {
        if (s = flush(RecordType::kBatch); !s.ok()) break;
      }
    }
  }
  if (s.ok() && builder.op_count() > 0) s = flush(RecordType::kBatch);
  if (s.ok()) s = output->Sync();  // always: the inputs are deleted once this is renamed
  if (!s.ok()) return fail(s);
  return output;
}

Result<std::vector<std::pair<std::string, FileStorageEngine::Location>>>
FileStorageEngine::NextCompactionChunk(uint32_t last_input, CompactionCursor& cursor) {
  std::vector<std::pair<std::string, Location>> chunk;
  std::shared_lock lock(index_mu_);
  if (closed_) return ClosedError();
  auto it = cursor.started ? index_.upper_bound(cursor.last_key) : index_.begin();
  cursor.started = true;
  // Writers only ever move keys into segments above last_input, so every entry that still
  // points into the inputs is visited exactly once over all chunks.
  for (size_t n = 0; n < kChunkEntries && it != index_.end(); ++n, ++it) {
    if (it->second.file->number() <= last_input) chunk.emplace_back(it->first, it->second);
    cursor.last_key = it->first;
  }
  cursor.done = it == index_.end();
  return chunk;
}

void FileStorageEngine::SwapCompactedLocations(SegmentFile* output,
                                               const std::vector<Move>& moves) {
  for (size_t begin = 0; begin < moves.size(); begin += kChunkEntries) {
    std::unique_lock lock(index_mu_);
    for (size_t i = begin; i < moves.size() && i < begin + kChunkEntries; ++i) {
      const Move& move = moves[i];
      auto it = index_.find(move.key);
      // A key overwritten or deleted since it was copied keeps its newer state.
      if (it == index_.end() || it->second.file != move.from.file ||
          it->second.op_offset != move.from.op_offset) {
        continue;
      }
      const uint64_t op_bytes = OpBytes(it->first.size(), it->second.value_bytes);
      it->second.file->SubtractLiveBytes(op_bytes);
      output->AddLiveBytes(op_bytes);
      it->second.file = output;
      it->second.op_offset = move.to_op_offset;
    }
  }
}

Status FileStorageEngine::RetireInputs(const std::vector<std::shared_ptr<SegmentFile>>& inputs,
                                       const std::shared_ptr<SegmentFile>& output) {
  {
    std::unique_lock lock(index_mu_);
    for (const auto& input : inputs) {
      if (input->live_bytes() != 0) {
        // The index still points into an input: keep every input open rather than dangle.
        return Status::Internal("compaction left " + std::to_string(input->live_bytes()) +
                                " live bytes in " + SegmentFileName(input->number()));
      }
    }
    std::erase_if(segments_, [&](const std::shared_ptr<SegmentFile>& file) {
      return std::find(inputs.begin(), inputs.end(), file) != inputs.end();
    });
  }
  // Readers that copied locations before the swap hold their inputs open; unlinking only
  // removes the names. The input numbered like the output was already replaced by the rename.
  for (const auto& input : inputs) {
    if (input->number() == output->number()) continue;
    const std::string path = SegmentPath(input->number());
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) {
      logger_.Log(LogLevel::kWarn, "file engine " + dir_ + ": remove " + path + ": " +
                                       ec.message() + " (obsolete; removed on the next open)");
    }
  }
  return SyncDirectory(dir_);
}

}  // namespace optimystic::plugins::storage_file
