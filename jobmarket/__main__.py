from jobmarket.cli.app import app

app()
