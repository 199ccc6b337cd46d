"""Dygraph training: the loop behind tools/train.py."""

from __future__ import annotations

import math
import os
import random
import time
from typing import Any

import numpy as np
import paddle
import paddle.distributed as dist

from ppocr.config import dump_config
from ppocr.engine.checkpoint import load_checkpoint, prune_checkpoints, save_checkpoint
from ppocr.engine.evaluator import evaluate, format_eval
from ppocr.engine.global_settings import check_global_settings, parse_eval_step  # noqa: F401 (re-export)
from ppocr.engine.meters import SmoothedValues, format_eta
from ppocr.errors import ConfigError
from ppocr.utils.logging import get_logger
from ppocr.weights.pretrained import load_pretrained_weights


def set_seed(seed: int) -> None:
    paddle.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def select_device(global_cfg: dict[str, Any]) -> str:
    """GPU when asked for and available; otherwise CPU (said once, not silently)."""
    want_gpu = bool(global_cfg.get("use_gpu", False))
    if want_gpu and paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0:
        device = f"gpu:{dist.ParallelEnv().dev_id}"
    else:
        if want_gpu:
            get_logger().warning("Global.use_gpu is true but this Paddle has no usable GPU; training on CPU")
        device = "cpu"
    paddle.set_device(device)
    return device


class Trainer:
    """Builds every component from a config and trains with checkpoints and eval.

    Resume is exact: the sampler order and augmentation are functions of
    (seed, epoch, index), and checkpoints carry optimizer, LR, RNG and the position
    inside the epoch, so N steps + resume + N steps equals 2N steps.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        from ppocr.engine.components import build_components

        self.config = config
        self.global_cfg = config.get("Global") or {}
        g = self.global_cfg
        settings = check_global_settings(g)  # bad values fail here, not after an epoch
        self.world_size = dist.get_world_size()
        self.rank = dist.get_rank()
        self.distributed = self.world_size > 1
        self.device = select_device(g)
        if self.distributed:
            dist.init_parallel_env()
        self.seed = settings.seed
        set_seed(self.seed)
        self.save_dir = settings.save_model_dir
        self.logger = get_logger(os.path.join(self.save_dir, "train.log") if self.rank == 0 else None)
        self.epoch_num = settings.epoch_num
        self.print_step = settings.print_batch_step
        self.eval_start, self.eval_interval = settings.eval_start, settings.eval_interval
        self.save_epoch_step = settings.save_epoch_step
        self.max_keep = settings.max_keep_checkpoints
        self.max_nonfinite = settings.max_nonfinite_steps
        self.log_smooth_window = settings.log_smooth_window

        parts = build_components(config, mode="train", seed=self.seed, distributed=self.distributed)
        self.model = parts.model
        self.loss_fn = parts.loss
        self.post_process = parts.post_process
        self.metric = parts.metric
        self.train_loader = parts.train_loader
        self.eval_loader = parts.eval_loader if self.rank == 0 else None
        self.steps_per_epoch = len(self.train_loader)
        if self.steps_per_epoch == 0:
            raise ConfigError("Train: the loader yields no batch (fewer samples than batch_size_per_card "
                              "with drop_last?)")
        from ppocr.optimizer import build_optimizer

        self.optimizer, self.lr_scheduler = build_optimizer(
            config["Optimizer"], epochs=self.epoch_num, step_each_epoch=self.steps_per_epoch,
            model=self.model)
        self.state = {"epoch": 1, "step_in_epoch": 0, "global_step": 0, "best_metric": {}}
        if g.get("checkpoints"):
            loaded = load_checkpoint(g["checkpoints"], self.model, self.optimizer, self.lr_scheduler)
            self.state.update({k: loaded[k] for k in self.state if k in loaded})
            self.logger.info("resumed from %s: epoch %d, step %d in epoch, global step %d",
                             g["checkpoints"], self.state["epoch"], self.state["step_in_epoch"],
                             self.state["global_step"])
        elif g.get("pretrained_model"):
            load_pretrained_weights(self.model, g["pretrained_model"],
                                    allow_shape_mismatch=bool(g.get("allow_shape_mismatch", False)))
        self.train_model = paddle.DataParallel(self.model) if self.distributed else self.model
        # BatchNorm running statistics move during the forward pass, before the loss is known
        # to be finite: a skipped step restores them so one bad batch cannot poison them.
        self._running_stats = [p for name, p in self.model.named_parameters()
                               if name.endswith(("._mean", "._variance"))]
        if self.rank == 0:
            os.makedirs(self.save_dir, exist_ok=True)
            dump_config(config, os.path.join(self.save_dir, "config.yml"))

    # ------------------------------------------------------------------ checkpoints
    def _save(self, name: str, **state_updates: Any) -> None:
        if self.rank != 0:
            return
        state = {**self.state, **state_updates, "config": self.config}
        save_checkpoint(os.path.join(self.save_dir, name), self.model, self.optimizer,
                        self.lr_scheduler, state,
                        weights_format=str(self.config["Global"].get("save_format") or "pdparams"))

    # ------------------------------------------------------------------ evaluation
    def _maybe_eval(self) -> None:
        step = self.state["global_step"]
        if self.eval_loader is None or self.eval_interval <= 0:
            return
        if step <= self.eval_start or (step - self.eval_start) % self.eval_interval:
            return
        self.run_eval()

    def run_eval(self) -> dict[str, Any]:
        result = evaluate(self.model, self.eval_loader, self.post_process, self.metric)
        key = self.metric.main_indicator
        best = self.state["best_metric"]
        improved = key not in best or result[key] >= best[key]  # ties: keep the later model, as upstream
        self.logger.info("eval at step %d: %s", self.state["global_step"], format_eval(result))
        if improved:
            self.state["best_metric"] = {**result, "best_epoch": self.state["epoch"],
                                         "best_step": self.state["global_step"]}
            self._save("best_accuracy")
            self.logger.info("new best %s: %.4f (saved best_accuracy)", key, result[key])
        self.logger.info("best metric so far: %s: %.4f", key, self.state["best_metric"][key])
        return result

    # ------------------------------------------------------------------ training
    def train(self, stop_after_steps: int | None = None) -> dict[str, Any]:
        """Train to ``epoch_num``; ``stop_after_steps`` stops early with a checkpoint (time boxing)."""
        total_steps = self.epoch_num * self.steps_per_epoch
        meters = SmoothedValues(self.log_smooth_window)
        self.model.train()
        nonfinite_in_a_row, steps_this_run = 0, 0
        run_start = time.time()
        self.logger.info("training %d epochs x %d steps (%d processes), starting at epoch %d step %d",
                         self.epoch_num, self.steps_per_epoch, self.world_size, self.state["epoch"],
                         self.state["step_in_epoch"])
        while self.state["epoch"] <= self.epoch_num:
            epoch = self.state["epoch"]
            skip = self.state["step_in_epoch"]
            batch_indices = self._epoch_batches(epoch, skip)
            reader_start = time.time()
            for i, batch in enumerate(self.train_loader):
                reader_cost = time.time() - reader_start
                step_start = time.time()
                saved_stats = [paddle.assign(p) for p in self._running_stats]
                preds = self.train_model(batch[0], data=batch[1:])
                losses = self.loss_fn(preds, batch)
                loss = losses["loss"]
                if not math.isfinite(float(loss)):
                    nonfinite_in_a_row += 1
                    self.optimizer.clear_grad()
                    for param, value in zip(self._running_stats, saved_stats):
                        param.set_value(value)
                    self.logger.warning("non-finite loss at global step %d, step skipped; samples: %s",
                                        self.state["global_step"] + 1,
                                        self._batch_paths(batch_indices, i))
                    self._advance(epoch)
                    if nonfinite_in_a_row >= self.max_nonfinite:
                        self._save("latest")
                        raise FloatingPointError(
                            f"{nonfinite_in_a_row} non-finite losses in a row; stopped with a checkpoint at "
                            f"{os.path.join(self.save_dir, 'latest')} (lower the LR or check the data)")
                    reader_start = time.time()
                    continue
                nonfinite_in_a_row = 0
                loss.backward()
                self.optimizer.step()
                self.optimizer.clear_grad()
                lr = self.optimizer.get_lr()
                self.lr_scheduler.step()
                self._advance(epoch)
                steps_this_run += 1
                batch_cost = time.time() - step_start + reader_cost
                batch_size = int(batch[0].shape[0]) * self.world_size
                meters.update({k: float(v) for k, v in losses.items()})
                meters.update({"reader_cost": reader_cost, "batch_cost": batch_cost,
                               "ips": batch_size / max(batch_cost, 1e-9)})
                step = self.state["global_step"]
                if step % self.print_step == 0 or self.state["step_in_epoch"] == self.steps_per_epoch:
                    remaining = total_steps - step
                    self.logger.info(
                        "epoch: [%d/%d], global_step: %d, lr: %.6f, %s, avg_reader_cost: %.4fs, "
                        "avg_batch_cost: %.4fs, avg_samples: %d, ips: %.2f samples/s, eta: %s",
                        epoch, self.epoch_num, step, lr, meters.format(list(losses)),
                        meters.mean("reader_cost"), meters.mean("batch_cost"), batch_size,
                        meters.mean("ips"), format_eta(remaining * meters.mean("batch_cost")))
                self._maybe_eval()
                if stop_after_steps is not None and steps_this_run >= stop_after_steps:
                    self._save("latest")
                    self.logger.info("stopped after %d steps as asked; saved latest", steps_this_run)
                    return self._summary(run_start, steps_this_run)
                reader_start = time.time()
            self.state["epoch"] = epoch + 1
            self.state["step_in_epoch"] = 0
            self._save("latest")
            if epoch % self.save_epoch_step == 0 or epoch == self.epoch_num:
                self._save(f"iter_epoch_{epoch}")
                if self.rank == 0:
                    prune_checkpoints(self.save_dir, "iter_epoch_", self.max_keep)
        return self._summary(run_start, steps_this_run)

    def _advance(self, epoch: int) -> None:
        self.state["global_step"] += 1
        self.state["step_in_epoch"] += 1

    def _epoch_batches(self, epoch: int, skip: int) -> list[list[int]] | None:
        """Set the loader to ``epoch`` (skipping ``skip`` batches); return this pass's batches."""
        loader = self.train_loader
        if not hasattr(loader, "set_epoch"):
            if skip:
                raise ConfigError("this data loader cannot resume mid-epoch")
            return None
        loader.set_epoch(epoch)
        loader.set_skip(skip)
        return loader.batch_sampler.epoch_batches()[skip:]

    def _batch_paths(self, batch_indices: list[list[int]] | None, i: int) -> list[str]:
        dataset = self.train_loader.dataset
        if batch_indices is None or i >= len(batch_indices) or not hasattr(dataset, "sample_path"):
            return ["(unknown)"]
        return [dataset.sample_path(idx) for idx in batch_indices[i]]

    def _summary(self, run_start: float, steps: int) -> dict[str, Any]:
        return {"global_step": self.state["global_step"], "epoch": self.state["epoch"],
                "steps_this_run": steps, "seconds": time.time() - run_start,
                "best_metric": self.state["best_metric"]}
