"""Fitting a model's matcher settings on the **tune** half of the JobBERT titles (never the report half):
the embedding stage's temperature and preferred-label bonus (:mod:`jobmarket.matching.defaults`)."""

from __future__ import annotations

from pathlib import Path

from jobmarket.errors import JobmarketError
from jobmarket.evaluation.data import EvalData
from jobmarket.evaluation.split import split_titles
from jobmarket.matching import defaults
from jobmarket.matching.label_index import LabelIndex
from jobmarket.text.clean import clean_title

__all__ = ["fit_model_defaults"]


def fit_model_defaults(encoder, data: EvalData, *, lang: str = "en", save: bool = True) -> dict:
    """Fit the temperature and bonus of ``encoder``'s model on the tune half's titles, cleaned as normalize
    cleans them, against ESCO's ``lang`` labels; with ``save``, write them into the model's folder."""
    folder = Path(str(encoder.name))
    if save and not (folder / "modules.json").is_file():
        raise JobmarketError(f"{encoder.name} is not a local model folder: the fitted settings are saved "
                             "beside the model (pass a folder, or save=False)")
    tune = split_titles(data.path("jobbert_eval", "titles.csv"), "tune")
    titles = [clean_title(t).title for t in tune["title"]]
    index = LabelIndex.from_store(data.con(), [lang])
    fitted = defaults.fit_defaults(index, encoder, titles, list(tune["occupation_uri"]))
    fitted.update(half="tune", label_lang=lang, model_id=encoder.model_id,
                  precision=getattr(encoder, "precision", "fp32"))
    if save:
        fitted["path"] = str(defaults.save_defaults(folder, fitted))
    return fitted
