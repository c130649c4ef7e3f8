"""Retrievers and loaders for LLM frameworks, each in the module named after its framework and needing
its extra: `vnsearch.integrations.langchain` (`pip install 'vnsearch[langchain]'`) and
`vnsearch.integrations.llamaindex` (`'vnsearch[llamaindex]'`). Nothing is imported here, so that each
framework is loaded only by the module that uses it, and the library itself never imports this package."""
