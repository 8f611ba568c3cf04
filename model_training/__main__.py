from model_training.cli import app

app()
