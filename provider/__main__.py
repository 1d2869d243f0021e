"""The component provider `transcribe-pipeline`: TranscriptionPipeline for Pulumi programs in other
languages (`pulumi package add <repository>/provider@<tag>`, docs/component.md). The schema is
inferred from the component's type hints; this folder's requirements.txt installs the package
from the same checkout."""

from pulumi.provider.experimental import component_provider_host

from transcribe_pipeline import TranscriptionPipeline

if __name__ == "__main__":
    component_provider_host(components=[TranscriptionPipeline], name="transcribe-pipeline")
