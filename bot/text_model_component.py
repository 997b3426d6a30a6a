"""The lifecycle shared by NLU components that wrap a ``TextModel``: create, persist, load."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from bot.text_model import TextModel

ComponentT = TypeVar("ComponentT", bound="TextModelComponent")


class TextModelComponent(GraphComponent):
    """Keeps an optional trained ``TextModel`` as JSON in Rasa's model storage."""

    model_file: ClassVar[str] = "text_model.json"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, model: TextModel | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls: type[ComponentT], config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> ComponentT:
        return cls(config, model_storage, resource)

    def _keep(self, model: TextModel | None) -> Resource:
        """Stores the trained model (or its absence) and returns the resource for Rasa."""
        self._model = model
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / self.model_file,
                                     self._model.to_json() if self._model else {})

    @classmethod
    def load(cls: type[ComponentT], config: dict[str, Any], model_storage: ModelStorage,
             resource: Resource, execution_context: ExecutionContext,
             **kwargs: Any) -> ComponentT:
        try:
            with model_storage.read_from(resource) as directory:
                payload = read_json_file(directory / cls.model_file)
        except ValueError:
            payload = {}
        return cls(config, model_storage, resource,
                   TextModel.from_json(payload) if payload else None)
