"""Two-process CPU training through paddle.distributed.launch (gloo)."""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ppocr.commands.eval import run_eval

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_process_training_logs_and_saves_on_rank0_with_single_process_eval(rec_config, tmp_path):
    cfg = copy.deepcopy(rec_config)
    cfg["Global"]["eval_batch_step"] = [0, 2]
    cfg_path = tmp_path / "cfg.yml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2", "--log_dir",
         str(tmp_path / "logs"), str(ROOT / "tools" / "train.py"), "-c", str(cfg_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    rank0 = (tmp_path / "logs" / "workerlog.0").read_text()
    rank1 = (tmp_path / "logs" / "workerlog.1").read_text()
    assert proc.returncode == 0, proc.stdout[-3000:] + rank0[-3000:] + rank1[-3000:]
    # 9 usable samples, 2 ranks -> 4 each, batch 2 -> 2 steps per epoch, 2 epochs
    assert "(2 processes)" in rank0 and "global_step: 4" in rank0
    assert "ppocr INFO" not in rank1  # only rank 0 logs
    out = Path(cfg["Global"]["save_model_dir"])
    assert (out / "latest.pdparams").is_file() and (out / "iter_epoch_2.states").is_file()
    final = re.findall(r"eval at step 4: acc: ([\d.]+), norm_edit_dis: ([\d.]+); evaluated (\d+)/(\d+)", rank0)
    assert final, rank0[-2000:]
    acc, ned, evaluated, total = final[-1]
    single = copy.deepcopy(cfg)
    single["Global"]["checkpoints"] = str(out / "latest")
    result = run_eval(single)
    assert (int(evaluated), int(total)) == (result["evaluated"], result["total"]) == (9, 10)
    assert float(acc) == pytest.approx(result["acc"], abs=1e-4)
    assert float(ned) == pytest.approx(result["norm_edit_dis"], abs=1e-4)
